// Command trivydb publishes the DB that ./builder (trivydb-build) makes as an OCI artifact the
// way upstream publishes ghcr.io/aquasecurity/trivy-db:2, builds the matching fixture image and
// checks trivy's reports of it:
//
//	trivydb push --db DIR REGISTRY/REPO:TAG
//	trivydb image --context DIR [--out FILE.tar] [--tag NAME:TAG] [--push REGISTRY/REPO:TAG]
//	trivydb check --expected EXPECTED.json [--mode image|fs] [--ignore-unfixed] REPORT.json
//
// See README.md beside this file.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "push":
		err = cmdPush(os.Args[2:])
	case "image":
		err = cmdImage(os.Args[2:])
	case "check":
		err = cmdCheck(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "trivydb %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  trivydb push --db DIR REGISTRY/REPO:TAG
  trivydb image --context DIR [--out FILE.tar] [--tag NAME:TAG] [--push REGISTRY/REPO:TAG]
  trivydb check --expected EXPECTED.json [--mode image|fs] [--ignore-unfixed] REPORT.json`)
	os.Exit(2)
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.Usage = usage
	return fs
}

func cmdPush(args []string) error {
	fs := newFlagSet("push")
	dbDir := fs.String("db", "", "directory made by `trivydb build`")
	_ = fs.Parse(args)
	if *dbDir == "" || fs.NArg() != 1 {
		usage()
	}
	ref := fs.Arg(0)
	digest, pushed, err := pushDB(context.Background(), *dbDir, ref)
	if err != nil {
		return err
	}
	state := "up-to-date"
	if pushed {
		state = "pushed"
	}
	fmt.Printf("%s %s %s\n", ref, digest, state)
	return nil
}

func cmdImage(args []string) error {
	fs := newFlagSet("image")
	contextDir := fs.String("context", "", "build context (FROM scratch, COPY . /, minus .dockerignore)")
	out := fs.String("out", "", "write a docker-archive tarball (for `trivy image --input`)")
	tag := fs.String("tag", "kubeline/vuln-fixture:latest", "image name recorded in the tarball")
	pushRef := fs.String("push", "", "push to this loopback registry reference")
	_ = fs.Parse(args)
	if *contextDir == "" || (*out == "" && *pushRef == "") || fs.NArg() != 0 {
		usage()
	}
	img, err := buildImage(*contextDir)
	if err != nil {
		return err
	}
	digest, err := writeImage(img, *out, *tag, *pushRef)
	if err != nil {
		return err
	}
	fmt.Println(digest)
	return nil
}
