// Package db embeds the dbmate migrations so that binaries carry their schema. The same
// files work with the dbmate CLI: dbmate --migrations-dir db/migrations up.
package db

import "embed"

// Migrations holds migrations/*.sql.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// MigrationsDir is the folder inside Migrations.
const MigrationsDir = "migrations"
