package sbom

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/geolayer/geolayer/pkg/report"
)

// Bounds on what is read from a build stage's package database: it is
// outside input (the build image and whatever RUN did to it).
const (
	maxStatusBytes   = 64 << 20 // /var/lib/dpkg/status
	maxListBytes     = 16 << 20 // one /var/lib/dpkg/info/*.list
	maxListFiles     = 20000
	maxOSReleaseSize = 64 << 10
	maxLineBytes     = 64 << 10
)

// DpkgOwners finds, for each absolute path of a file in the build stage
// whose root file system is at root, the Debian package that installed it,
// as the stage's dpkg database says (/var/lib/dpkg/info/*.list for the
// files, /var/lib/dpkg/status for the version and architecture). Paths no
// package lists are absent from the result; a stage without a dpkg
// database gives an empty result and no error. A merged /usr (/lib a link
// to usr/lib) is followed both ways: dpkg may list /lib/x/libz.so.1 while
// the path given, symbolic links resolved, is /usr/lib/x/libz.so.1.
func DpkgOwners(root string, paths []string) (map[string]*report.OSPackage, error) {
	out := map[string]*report.OSPackage{}
	info := filepath.Join(root, "var", "lib", "dpkg", "info")
	lists, err := filepath.Glob(filepath.Join(info, "*.list"))
	if err != nil || len(lists) == 0 {
		return out, nil
	}
	if len(lists) > maxListFiles {
		return nil, fmt.Errorf("dpkg database: %d .list files, more than %d", len(lists), maxListFiles)
	}
	aliases := usrAliases(root)
	want := map[string]string{} // listed path -> path asked for
	for _, p := range paths {
		for _, c := range pathVariants(p, aliases) {
			if _, dup := want[c]; !dup {
				want[c] = p
			}
		}
	}
	owner := map[string]string{} // asked-for path -> package[:arch] of the .list
	for _, l := range lists {
		if len(owner) == len(paths) {
			break
		}
		pkg := strings.TrimSuffix(filepath.Base(l), ".list")
		if err := scanList(l, func(line string) {
			if p, ok := want[line]; ok {
				if _, seen := owner[p]; !seen {
					owner[p] = pkg
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	if len(owner) == 0 {
		return out, nil
	}
	status, err := readStatus(filepath.Join(root, "var", "lib", "dpkg", "status"))
	if err != nil {
		return nil, err
	}
	distro := osReleaseID(root)
	for p, pkg := range owner {
		name, arch, _ := strings.Cut(pkg, ":")
		st := status[pkg]
		if st == nil {
			st = status[name]
		}
		op := &report.OSPackage{Manager: "dpkg", Name: name, Architecture: arch, Distro: distro}
		if st != nil {
			op.Version = st.version
			if op.Architecture == "" {
				op.Architecture = st.arch
			}
		}
		out[p] = op
	}
	return out, nil
}

// usrAliases maps a top-level directory that is a link into /usr (merged
// /usr: /lib -> usr/lib) to its target, both as absolute paths.
func usrAliases(root string) map[string]string {
	out := map[string]string{}
	for _, d := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		t, err := os.Readlink(filepath.Join(root, d))
		if err != nil {
			continue
		}
		t = path.Clean(path.Join("/", t))
		if t == "/usr/"+d {
			out["/"+d] = t
		}
	}
	return out
}

// pathVariants are the names dpkg may list a file under: itself, and with
// a merged-/usr alias applied either way.
func pathVariants(p string, aliases map[string]string) []string {
	out := []string{p}
	for alias, target := range aliases {
		if rest, ok := strings.CutPrefix(p, target+"/"); ok {
			out = append(out, alias+"/"+rest)
		}
		if rest, ok := strings.CutPrefix(p, alias+"/"); ok {
			out = append(out, target+"/"+rest)
		}
	}
	return out
}

// scanList calls fn for every line of a dpkg .list file, refusing one
// larger than maxListBytes or with a line longer than maxLineBytes.
func scanList(p string, fn func(string)) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	lr := &io.LimitedReader{R: f, N: maxListBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 4096), maxLineBytes)
	for sc.Scan() {
		fn(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if lr.N <= 0 {
		return fmt.Errorf("%s: larger than %d bytes", p, maxListBytes)
	}
	return nil
}

type dpkgStatus struct{ version, arch string }

// readStatus reads the installed packages of a dpkg status file, keyed by
// "name:arch" and, for the first of each name, by "name".
func readStatus(p string) (map[string]*dpkgStatus, error) {
	out := map[string]*dpkgStatus{}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	lr := &io.LimitedReader{R: f, N: maxStatusBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 4096), maxLineBytes)
	var name, arch, version, state string
	flush := func() {
		if name != "" && strings.HasSuffix(state, " installed") {
			st := &dpkgStatus{version: version, arch: arch}
			out[name+":"+arch] = st
			if _, ok := out[name]; !ok {
				out[name] = st
			}
		}
		name, arch, version, state = "", "", "", ""
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			name = v
		case "Architecture":
			arch = v
		case "Version":
			version = v
		case "Status":
			state = v
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxStatusBytes)
	}
	return out, nil
}

// osReleaseID is the ID of the root's os-release ("debian"), "" when
// unknown.
func osReleaseID(root string) string {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		f, err := os.Open(filepath.Join(root, p))
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(f, maxOSReleaseSize))
		_ = f.Close()
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "ID="); ok {
				v = strings.Trim(strings.TrimSpace(v), `"'`)
				if validDistro(v) {
					return v
				}
				return ""
			}
		}
	}
	return ""
}

// validDistro accepts os-release's ID syntax: lower-case letters, digits,
// "_", "-" and ".".
func validDistro(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' && r != '.' {
			return false
		}
	}
	return true
}
