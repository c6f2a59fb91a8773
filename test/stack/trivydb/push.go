package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/metadata"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Media types of the upstream artifact (ghcr.io/aquasecurity/trivy-db:2), which trivy-db's CI
// pushes with `oras push --artifact-type <artifactType> db.tar.gz:<layerMediaType>` (oras 1.2:
// an OCI 1.1 image manifest whose config is the empty descriptor). trivy's DB downloader
// (pkg/db, pkg/oci) requires exactly one layer, of layerMediaType, titled by the annotation.
const (
	dbArtifactType    = "application/vnd.aquasec.trivy.config.v1+json"
	dbLayerMediaType  = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
	titleAnnotation   = ocispec.AnnotationTitle // org.opencontainers.image.title
	createdAnnotation = ocispec.AnnotationCreated
	dbArchive         = "db.tar.gz" // written by trivydb-build beside trivy.db and metadata.json
)

// pushDB pushes dbDir/db.tar.gz to ref ("host:port/repo:tag") unless the tag already points
// at the same manifest. The manifest's created annotation is the DB's UpdatedAt, so the same
// DB always packs to the same digest.
func pushDB(ctx context.Context, dbDir, ref string) (digest string, pushed bool, err error) {
	data, err := os.ReadFile(filepath.Join(dbDir, dbArchive))
	if err != nil {
		return "", false, err
	}
	meta, err := metadata.NewClient(dbDir).Get()
	if err != nil {
		return "", false, err
	}

	repo, err := loopbackRepository(ref)
	if err != nil {
		return "", false, err
	}
	tag := repo.Reference.Reference
	if tag == "" {
		return "", false, fmt.Errorf("%s: a tag is required (trivy's default is the schema version, e.g. :2)", ref)
	}

	store := memory.New()
	layer := content.NewDescriptorFromBytes(dbLayerMediaType, data)
	layer.Annotations = map[string]string{titleAnnotation: dbArchive}
	if err := store.Push(ctx, layer, bytes.NewReader(data)); err != nil {
		return "", false, err
	}
	manifest, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, dbArtifactType, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{createdAnnotation: meta.UpdatedAt.UTC().Truncate(time.Second).Format(time.RFC3339)},
	})
	if err != nil {
		return "", false, err
	}

	if current, err := repo.Resolve(ctx, tag); err == nil && current.Digest == manifest.Digest {
		return manifest.Digest.String(), false, nil
	}
	if err := store.Tag(ctx, manifest, tag); err != nil {
		return "", false, err
	}
	if _, err := oras.Copy(ctx, store, tag, repo, tag, oras.DefaultCopyOptions); err != nil {
		return "", false, fmt.Errorf("push %s: %w", ref, err)
	}
	return manifest.Digest.String(), true, nil
}

// loopbackRepository opens ref over plain HTTP, refusing any registry that is not on this
// machine: the test stack's registries listen on loopback only.
func loopbackRepository(ref string) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref)
	if err != nil {
		return nil, err
	}
	if err := requireLoopback(repo.Reference.Registry); err != nil {
		return nil, err
	}
	repo.PlainHTTP = true
	client := &auth.Client{Client: retry.DefaultClient, Cache: auth.NewCache()}
	// Credentials, if the registry wants any, come from the Docker config (~/.docker/config.json).
	if store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
		client.Credential = credentials.Credential(store)
	}
	repo.Client = client
	return repo, nil
}

func requireLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("registry %q is not on loopback: this test tool only talks to local registries", hostport)
}
