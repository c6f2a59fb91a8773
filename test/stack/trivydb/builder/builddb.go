package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	"github.com/aquasecurity/trivy-db/pkg/vulndb"
)

// Files of a built DB directory; db.tar.gz holds the first two, like the upstream artifact.
const (
	dbFile       = "trivy.db"
	metadataFile = "metadata.json"
	dbArchive    = "db.tar.gz"
)

// buildDB writes trivy.db, metadata.json and db.tar.gz into outDir with trivy-db's own build
// (vulndb.Build: insert every source, optimize, clean up), exactly as upstream's `trivy-db build`.
func buildDB(outDir string, validFor time.Duration) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{dbFile, metadataFile, dbArchive} {
		if err := os.Remove(filepath.Join(outDir, f)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return err
	}

	feedDir, err := os.MkdirTemp("", "trivydb-feeds-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(feedDir)
	if err := writeFeeds(feedDir); err != nil {
		return fmt.Errorf("write feeds: %w", err)
	}
	// trivy-db loads patches from ./overrides relative to the working directory: run where there is none.
	if err := os.Chdir(feedDir); err != nil {
		return err
	}

	if err := db.Init(outDir); err != nil {
		return fmt.Errorf("init db: %w", err)
	}
	// NextUpdate = now + validFor: trivy downloads the DB once and then trusts its cache.
	if err := vulndb.New(feedDir, outDir, validFor).Build(feedSources); err != nil {
		_ = db.Close()
		return fmt.Errorf("trivy-db build: %w", err)
	}
	if err := selfCheck(); err != nil {
		_ = db.Close()
		return fmt.Errorf("self-check of the built DB: %w", err)
	}
	if err := db.Close(); err != nil {
		return err
	}

	meta, err := metadata.NewClient(outDir).Get()
	if err != nil {
		return err
	}
	return writeArchive(outDir, meta.UpdatedAt.Truncate(time.Second))
}

// selfCheck reads every advisory back through trivy-db's query API.
func selfCheck() error {
	dbc := db.Config{}
	buckets := map[string]string{
		ecoAlpine: "alpine " + alpineRelease,
		ecoPip:    "pip::GitHub Security Advisory pip",
	}
	for _, a := range advisories {
		found := false
		advs, err := dbc.GetAdvisories(buckets[a.Ecosystem], a.Package)
		if err != nil {
			return err
		}
		for _, adv := range advs {
			found = found || adv.VulnerabilityID == a.ID
		}
		if !found {
			return fmt.Errorf("%s: no advisory for %s in bucket %q", a.ID, a.Package, buckets[a.Ecosystem])
		}
		v, err := dbc.GetVulnerability(a.ID)
		if err != nil {
			return err
		}
		if v.Title != a.Title || len(v.CVSS) == 0 || len(v.References) == 0 {
			return fmt.Errorf("%s: incomplete vulnerability record %+v", a.ID, v)
		}
	}
	return nil
}

// writeArchive packs db.tar.gz as upstream does (`tar czf db.tar.gz trivy.db metadata.json`),
// with fixed timestamps so the same DB always gives the same archive.
func writeArchive(dir string, mtime time.Time) error {
	out, err := os.Create(filepath.Join(dir, dbArchive+".tmp"))
	if err != nil {
		return err
	}
	defer out.Close()
	gz := gzip.NewWriter(out)
	gz.ModTime = mtime
	tw := tar.NewWriter(gz)
	for _, name := range []string{dbFile, metadataFile} {
		if err := addFile(tw, filepath.Join(dir, name), name, mtime); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(filepath.Join(dir, dbArchive+".tmp"), filepath.Join(dir, dbArchive))
}

func addFile(tw *tar.Writer, path, name string, mtime time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: st.Size(), ModTime: mtime, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
