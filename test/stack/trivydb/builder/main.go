// Command trivydb-build builds kubeline's small but real trivy vulnerability DB of FICTIONAL
// advisories (CVE-2099-*, advisories.go) with trivy-db's own build code:
//
//	trivydb-build --out DIR [--valid-for DURATION]
//
// writes DIR/trivy.db, DIR/metadata.json and DIR/db.tar.gz. It is a separate program from
// trivydb (push, image, check) because trivy-db's GHSA source runs `go list std` when the
// program starts, so this one needs the go command on PATH and the others must not.
// See ../README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	out := flag.String("out", "", "directory for trivy.db, metadata.json and db.tar.gz")
	validFor := flag.Duration("valid-for", 10*365*24*time.Hour, "metadata NextUpdate = now + this")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: trivydb-build --out DIR [--valid-for DURATION]")
		os.Exit(2)
	}
	if err := buildDB(*out, *validFor); err != nil {
		fmt.Fprintf(os.Stderr, "trivydb-build: %v\n", err)
		os.Exit(1)
	}
}
