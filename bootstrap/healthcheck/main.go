// Command healthcheck exits 0 when the service on this host answers GET /health with 200. The
// container images run it as their HEALTHCHECK, since they carry no shell or curl. It reads
// its one setting, PORT, itself: it links the standard library only (no project package,
// see TestBinariesLinkOnlyWhatTheyUse), so that the images' health probe stays small.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Getenv, os.Args[1:], os.Stderr))
}

// run is the body of the healthcheck command that the container images use (they
// have no shell, curl or wget): it asks GET /health of the service on this host, at
// http://127.0.0.1:$PORT/health, or at the URL given as its one argument, and returns 0 on a
// 200 answer within two seconds, else 1 (2 for a usage problem).
func run(ctx context.Context, getenv func(string) string, args []string, stderr io.Writer) int {
	var target string
	switch len(args) {
	case 0:
		port, err := strconv.Atoi(getenv("PORT"))
		if err != nil || port < 1 || port > 65535 {
			fmt.Fprintln(stderr, "healthcheck: PORT must name the service's port (or pass the URL to check)")
			return 2
		}
		target = "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	case 1:
		target = args[0]
	default:
		fmt.Fprintln(stderr, "usage: healthcheck [URL]")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %d, want 200\n", target, res.StatusCode)
		return 1
	}
	return 0
}
