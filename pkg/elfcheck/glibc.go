package elfcheck

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// GlibcSonames are the libraries glibc itself installs (glibc 2.34 and
// later: libpthread, libdl, librt and libutil are empty compatibility
// stubs there, but still exist). When Config.RuntimeRoot is "" they count
// as provided by the platform; with a runtime root they are resolved like
// any other library. The dynamic loader (ld-linux*.so.*, ld64.so.*) is
// provided as well, see isGlibc. libcrypt.so.1 is not in the list: modern
// distributions (AL2023, Debian 12) ship it from libxcrypt.
var GlibcSonames = []string{
	"libBrokenLocale.so.1",
	"libanl.so.1",
	"libc.so.6",
	"libc_malloc_debug.so.0",
	"libdl.so.2",
	"libm.so.6",
	"libmvec.so.1",
	"libnss_dns.so.2",
	"libnss_files.so.2",
	"libpthread.so.0",
	"libresolv.so.2",
	"librt.so.1",
	"libthread_db.so.1",
	"libutil.so.1",
}

func isGlibc(soname string) bool {
	if strings.HasPrefix(soname, "ld-linux") && strings.Contains(soname, ".so.") ||
		strings.HasPrefix(soname, "ld64.so.") {
		return true
	}
	for _, s := range GlibcSonames {
		if s == soname {
			return true
		}
	}
	return false
}

// glibcImplied maps non-numeric GLIBC_ version names to the release that
// introduced them: an object needing one cannot load on an older glibc.
var glibcImplied = map[string]string{
	// Objects linked with -z pack-relative-relocs (DT_RELR); glibc 2.36.
	"GLIBC_ABI_DT_RELR": "2.36",
}

// glibcVersion returns the glibc release a version need implies ("2.17"
// for GLIBC_2.17, "2.36" for GLIBC_ABI_DT_RELR), or "" for anything else.
func glibcVersion(need string) string {
	if v, ok := glibcImplied[need]; ok {
		return v
	}
	v, ok := strings.CutPrefix(need, "GLIBC_")
	if !ok || parseVersion(v) == nil {
		return ""
	}
	return v
}

// parseVersion splits a dotted decimal version; nil if it is not one.
func parseVersion(s string) []int {
	if s == "" {
		return nil
	}
	var out []int
	for f := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || f == "" || f[0] == '+' {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// compareVersions compares dotted decimal versions numerically, missing
// components counting as 0: 2.9 < 2.17 < 2.34 and 2.2.5 < 2.3. Both must be
// valid (see parseVersion).
func compareVersions(a, b string) int {
	x, y := parseVersion(a), parseVersion(b)
	for i := range max(len(x), len(y)) {
		var p, q int
		if i < len(x) {
			p = x[i]
		}
		if i < len(y) {
			q = y[i]
		}
		if c := cmp.Compare(p, q); c != 0 {
			return c
		}
	}
	return 0
}

// manylinuxTag names the manylinux policy for a glibc ceiling, for fix
// suggestions: "2.34" -> "manylinux_2_34".
func manylinuxTag(ceiling string) string {
	v := parseVersion(ceiling)
	if len(v) < 2 {
		return "manylinux_" + strings.ReplaceAll(ceiling, ".", "_")
	}
	return fmt.Sprintf("manylinux_%d_%d", v[0], v[1])
}
