package main

// A Docker-free build of a `FROM scratch` + `COPY . /` context (test/fixtures/vuln-image):
// one layer holding every file of the context not named in its .dockerignore, with fixed
// owners and timestamps so the same context always gives the same image digest.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var imageEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func buildImage(contextDir string) (v1.Image, error) {
	ignored, err := readDockerignore(contextDir)
	if err != nil {
		return nil, err
	}
	layerTar, err := tarContext(contextDir, ignored)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: imageEpoch},
		Config: v1.Config{Labels: map[string]string{
			"org.opencontainers.image.title":       "kubeline vulnerable fixture",
			"org.opencontainers.image.description": "Test fixture with packages named in FICTIONAL advisories (test/stack/trivydb)",
		}},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: imageEpoch}, CreatedBy: "COPY . / # test/stack/trivydb image"},
	})
}

// readDockerignore returns the .dockerignore patterns (globs relative to the context).
func readDockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	var patterns []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			return nil, fmt.Errorf(".dockerignore: exceptions (%q) are not supported here", line)
		}
		patterns = append(patterns, strings.TrimPrefix(filepath.Clean(line), "/"))
	}
	return patterns, sc.Err()
}

func tarContext(dir string, ignored []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, p := range ignored {
			if ok, _ := filepath.Match(p, rel); ok {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		// Modes are normalised (umask and checkout differ between machines; the digest must not).
		hdr := &tar.Header{Name: rel, ModTime: imageEpoch, Mode: 0o644}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, rel+"/", 0o755
		case info.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
			if info.Mode()&0o111 != 0 {
				hdr.Mode = 0o755
			}
		default:
			return fmt.Errorf("%s: only regular files and directories are supported", path)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeImage saves img as a docker-archive tarball (what `docker save` writes and
// `trivy image --input` reads) and/or pushes it to a loopback registry.
func writeImage(img v1.Image, outFile, tag, pushRef string) (string, error) {
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	if outFile != "" {
		t, err := name.NewTag(tag)
		if err != nil {
			return "", err
		}
		if err := tarball.WriteToFile(outFile, t, img); err != nil {
			return "", err
		}
	}
	if pushRef != "" {
		ref, err := name.ParseReference(pushRef, name.Insecure)
		if err != nil {
			return "", err
		}
		if err := requireLoopback(ref.Context().RegistryStr()); err != nil {
			return "", err
		}
		if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return "", err
		}
	}
	return digest.String(), nil
}
