//go:build tools

// Package server only pins tidb-server's module; tools/tidb/build.sh builds
// github.com/pingcap/tidb/cmd/tidb-server from here.
package server

import _ "github.com/pingcap/tidb/cmd/tidb-server"
