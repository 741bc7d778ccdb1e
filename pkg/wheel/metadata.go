package wheel

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// wheelInfo is what the installer needs from .dist-info/WHEEL.
type wheelInfo struct {
	Major, Minor  int
	RootIsPurelib bool
	Raw           string
}

// parseHeaders parses RFC 822 style "Key: Value" lines (the format of
// WHEEL and METADATA headers) up to the first blank line. Keys are
// lowercased; continuation lines (leading whitespace) are appended; for
// repeated keys the first value wins.
func parseHeaders(data string) map[string]string {
	out := map[string]string{}
	last := ""
	for _, line := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				out[last] += " " + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			last = ""
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if _, seen := out[k]; seen {
			last = ""
			continue
		}
		out[k] = strings.TrimSpace(v)
		last = k
	}
	return out
}

// parseWheelFile interprets a .dist-info/WHEEL file. It fails when
// Wheel-Version is missing, malformed or has a major version above 1.
func parseWheelFile(data string) (wheelInfo, error) {
	h := parseHeaders(data)
	v, ok := h["wheel-version"]
	if !ok {
		return wheelInfo{}, fmt.Errorf("WHEEL has no Wheel-Version")
	}
	majS, minS, ok := strings.Cut(v, ".")
	major, okMajor := decimal(majS)
	minor, okMinor := decimal(minS)
	if !ok || !okMajor || !okMinor || len(majS) > 4 || len(minS) > 4 {
		return wheelInfo{}, fmt.Errorf("WHEEL has malformed Wheel-Version %q", v)
	}
	if major > 1 {
		return wheelInfo{}, fmt.Errorf("unsupported Wheel-Version %s: this installer supports 1.x", v)
	}
	return wheelInfo{
		Major:         major,
		Minor:         minor,
		RootIsPurelib: strings.EqualFold(h["root-is-purelib"], "true"),
		Raw:           v,
	}, nil
}

// findDistInfo returns the single top-level "*.dist-info" directory name.
func findDistInfo(files []*zip.File) (string, error) {
	seen := map[string]bool{}
	var found []string
	for _, f := range files {
		top, _, _ := strings.Cut(f.Name, "/")
		if !strings.Contains(f.Name, "/") {
			continue // a plain top-level file, not a directory
		}
		if strings.HasSuffix(top, ".dist-info") && !seen[top] {
			seen[top] = true
			found = append(found, top)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("wheel has no .dist-info directory")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("wheel has %d .dist-info directories (%s), want exactly one", len(found), strings.Join(found, ", "))
}

// splitDistInfo splits "{name}-{version}.dist-info" into its parts.
func splitDistInfo(dir string) (name, version string, err error) {
	stem := strings.TrimSuffix(dir, ".dist-info")
	i := strings.LastIndexByte(stem, '-')
	if i <= 0 || i == len(stem)-1 {
		return "", "", fmt.Errorf("malformed .dist-info directory name %q, want {name}-{version}.dist-info", dir)
	}
	return stem[:i], stem[i+1:], nil
}

// readMember reads a small archive member fully, failing above limit bytes.
func readMember(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", f.Name, limit)
	}
	return data, nil
}

// readHead reads at most limit bytes of an archive member: enough for the
// headers of a METADATA file, whose long description may follow them at
// any length.
func readHead(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	return data, nil
}

// maxLicenseBytes bounds the License header kept: some projects paste
// their whole license text into it.
const maxLicenseBytes = 4096

// declaredLicense returns METADATA's declared license: License-Expression
// (PEP 639: an SPDX license expression) when present, else the free-text
// License field (core metadata 1.0-2.3), whose "UNKNOWN" (what old
// setuptools wrote when none was given) counts as none. The text is cut at
// maxLicenseBytes.
func declaredLicense(h map[string]string) (license string, expression bool) {
	if v := strings.TrimSpace(h["license-expression"]); v != "" {
		return cut(v, maxLicenseBytes), true
	}
	v := strings.TrimSpace(h["license"])
	if v == "" || strings.EqualFold(v, "UNKNOWN") {
		return "", false
	}
	return cut(v, maxLicenseBytes), false
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
