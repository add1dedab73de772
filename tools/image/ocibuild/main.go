// ocibuild writes extguard's image: one layer (the root filesystem tar made by
// tools/image/assemble.ts), the config from tools/image/config.json, as an OCI image layout
// directory and the same layout tarred (an oci-archive). The archive also carries a
// manifest.json, as `docker save` of Docker >= 25 does, so engines that only know the
// docker-archive format load it too. Every byte is a function of the inputs: fixed times,
// sorted entries, Go's deterministic gzip.
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageConfig is tools/image/config.json: the one description of the image's runtime
// settings, read here and compared with the Dockerfile by a unit test.
type imageConfig struct {
	Entrypoint   []string          `json:"entrypoint"`
	Cmd          []string          `json:"cmd"`
	User         string            `json:"user"`
	Env          []string          `json:"env"`
	WorkingDir   string            `json:"workingDir"`
	ExposedPorts []string          `json:"exposedPorts"`
	Labels       map[string]string `json:"labels"`
}

func main() {
	rootfs := flag.String("rootfs", "", "root filesystem tar (uncompressed)")
	configPath := flag.String("config", "", "tools/image/config.json")
	version := flag.String("version", "", "image version (package.json), fills ${version} in labels")
	name := flag.String("name", "", "image reference recorded in the archive, e.g. ghcr.io/extguard/extguard:0.1.0")
	epoch := flag.Int64("created", 0, "image creation time, seconds since the epoch (SOURCE_DATE_EPOCH)")
	outLayout := flag.String("layout", "", "OCI image layout directory to write (replaced)")
	outArchive := flag.String("archive", "", "oci-archive tarball to write")
	flag.Parse()
	if *rootfs == "" || *configPath == "" || *version == "" || *name == "" || *outLayout == "" || *outArchive == "" {
		fail(fmt.Errorf("need -rootfs, -config, -version, -name, -layout and -archive"))
	}
	if err := run(*rootfs, *configPath, *version, *name, time.Unix(*epoch, 0).UTC(), *outLayout, *outArchive); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "ocibuild: %v\n", err)
	os.Exit(1)
}

func run(rootfs, configPath, version, name string, created time.Time, outLayout, outArchive string) error {
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	var ic imageConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ic); err != nil {
		return fmt.Errorf("%s: %w", configPath, err)
	}

	// Best compression: the layer is built once and pulled by every node; the gzip stream is
	// still a pure function of the tar (Go's compress/gzip, fixed level, no name or time).
	// Cached: the digest pass and the write pass share one compression.
	layer, err := tarball.LayerFromFile(rootfs, tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
	if err != nil {
		return fmt.Errorf("layer from %s: %w", rootfs, err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: "tools/image/assemble.ts (root filesystem)", Comment: "extguard " + version},
	})
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture = "amd64"
	cf.OS = "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = ic.Entrypoint
	cf.Config.Cmd = ic.Cmd
	cf.Config.User = ic.User
	cf.Config.Env = ic.Env
	cf.Config.WorkingDir = ic.WorkingDir
	cf.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range ic.ExposedPorts {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	cf.Config.Labels = map[string]string{}
	for k, v := range ic.Labels {
		cf.Config.Labels[k] = strings.ReplaceAll(v, "${version}", version)
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	img, err = mutate.CreatedAt(img, v1.Time{Time: created})
	if err != nil {
		return err
	}

	if err := os.RemoveAll(outLayout); err != nil {
		return err
	}
	p, err := layout.Write(outLayout, empty.Index)
	if err != nil {
		return err
	}
	tag := name[strings.LastIndex(name, ":")+1:]
	// ref.name is what `skopeo copy oci-archive:FILE:0.1.0` selects; the containerd name is
	// what Docker >= 25 and `ctr import` tag the loaded image with.
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
		"io.containerd.image.name":          name,
	})); err != nil {
		return err
	}

	// manifest.json (docker-archive): config and layer by their blob paths, as Docker 25 writes it.
	cfgDigest, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	layerPaths := []string{}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		layerPaths = append(layerPaths, "blobs/sha256/"+d.Hex)
	}
	dockerManifest, err := json.Marshal([]map[string]any{{
		"Config":   "blobs/sha256/" + cfgDigest.Hex,
		"RepoTags": []string{name},
		"Layers":   layerPaths,
	}})
	if err != nil {
		return err
	}
	return writeArchive(outLayout, outArchive, dockerManifest, created)
}

// writeArchive tars the layout directory: sorted names, fixed owner and time, no PAX times.
func writeArchive(dir, out string, dockerManifest []byte, created time.Time) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(f)
	hdr := func(name string, mode int64, typ byte, size int64) *tar.Header {
		return &tar.Header{Name: name, Mode: mode, Typeflag: typ, Size: size, ModTime: created, Uid: 0, Gid: 0, Format: tar.FormatPAX}
	}
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.IsDir() {
			if err := tw.WriteHeader(hdr(rel+"/", 0o755, tar.TypeDir, 0)); err != nil {
				return err
			}
			continue
		}
		if err := tw.WriteHeader(hdr(rel, 0o644, tar.TypeReg, st.Size())); err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(hdr("manifest.json", 0o644, tar.TypeReg, int64(len(dockerManifest)))); err != nil {
		return err
	}
	if _, err := tw.Write(dockerManifest); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
