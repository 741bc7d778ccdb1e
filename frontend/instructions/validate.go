package instructions

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

var (
	nameRe        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	profileRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	runtimeRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	glibcRe       = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	secretIDRe    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	pylockRe      = regexp.MustCompile(`^pylock\.([^.]+\.)?toml$`)
	projectNameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	projectPrefix = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?`)
	projectSepRe  = regexp.MustCompile(`[-_.]+`)
	winAbsRe      = regexp.MustCompile(`^[A-Za-z]:[\\/]`)
	sizeRe        = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?[ \t]*([A-Za-z]*)$`)
)

// validName reports whether s is a valid ARG/ENV name.
func validName(s string) bool { return nameRe.MatchString(s) }

// normalizeProject is the PEP 503 normalised project name.
func normalizeProject(s string) string {
	return projectSepRe.ReplaceAllString(strings.ToLower(s), "-")
}

func checkImageRef(s string) string {
	if _, err := reference.ParseNormalizedNamed(s); err != nil {
		return err.Error() + "; expected an image reference such as public.ecr.aws/lambda/python:3.12"
	}
	return ""
}

// redactURL prints u without its user info.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	s := c.String()
	if u.User != nil && c.Scheme != "" {
		s = strings.Replace(s, c.Scheme+"://", c.Scheme+"://***@", 1)
	}
	return s
}

// checkIndexURL validates an index URL without ever echoing credentials.
func checkIndexURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err.Error() + "; expected an http:// or https:// URL"
		}
		return "malformed URL; expected an http:// or https:// URL"
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return fmt.Sprintf("%s: expected an http:// or https:// URL", redactURL(u))
	}
	if u.User != nil {
		return fmt.Sprintf("credentials must not be embedded in the URL (%s); store them in a build secret and pass --secret=<id>", redactURL(u))
	}
	if u.Host == "" {
		return fmt.Sprintf("%s has no host", redactURL(u))
	}
	return ""
}

// contextPath checks a file path in the build context and cleans it.
func contextPath(p string) (string, string) {
	if p == "" {
		return "", "the path is empty"
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || winAbsRe.MatchString(p) {
		return "", "absolute paths are not allowed; use a path relative to the build context"
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", "the path leaves the build context"
	}
	if c == "." {
		return "", "expected a file, not the build context itself"
	}
	return c, ""
}

func pathBase(p string) string { return path.Base(p) }

// checkPattern validates a PRUNE/KEEP glob (gitignore syntax, relative to
// site-packages; a leading '/' anchors it there). pkg/prune checks the rest.
func checkPattern(p string) string {
	if p == "" {
		return "the pattern is empty"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "'..' is not allowed in patterns"
		}
	}
	if _, err := path.Match(p, ""); err != nil {
		return "malformed glob (check '[...]' classes and escapes)"
	}
	return ""
}

// checkRequirement is a light PEP 508 syntax check: a project name, then
// optional extras, then a version specifier, `@ <url>` or `; <marker>`.
// Full parsing is left to the resolver. sensitive reports that the problem
// concerns credentials, so the requirement must not be echoed.
func checkRequirement(s string) (problem string, sensitive bool) {
	name := projectPrefix.FindString(s)
	if name == "" {
		return "expected a project name at the start (PEP 508), e.g. numpy>=1.26", false
	}
	rest := strings.TrimLeft(s[len(name):], " \t")
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "missing ']' after the extras", false
		}
		for _, e := range strings.Split(rest[1:end], ",") {
			if e = strings.TrimSpace(e); e != "" && !projectNameRe.MatchString(e) {
				return fmt.Sprintf("invalid extra %q", e), false
			}
		}
		rest = strings.TrimLeft(rest[end+1:], " \t")
	}
	if rest == "" {
		return "", false
	}
	switch rest[0] {
	case '(', '<', '>', '=', '!', '~', ';':
		return "", false
	case '@':
		target := strings.TrimSpace(rest[1:])
		if i := strings.IndexAny(target, " \t"); i >= 0 {
			target = target[:i]
		}
		if target == "" {
			return "missing URL after '@'", false
		}
		if u, err := url.Parse(target); err == nil && u.User != nil {
			return fmt.Sprintf("credentials must not be embedded in the URL (%s); put the package on an INDEX with --secret=<id>", redactURL(u)), true
		}
		return "", false
	}
	return fmt.Sprintf("unexpected %q after the project name; expected [extras], a version specifier, '@ <url>' or '; <marker>' (quote requirements that contain spaces)", rest), false
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// parseSize parses a SIZE: a non-negative number with an optional unit.
// Following the AWS Lambda documentation, KB/MB/GB are 1024-based, exactly
// like KiB/MiB/GiB. Units are case-insensitive. A fraction is allowed when
// the result is a whole number of bytes (1.5MB).
func parseSize(s string) (int64, string) {
	m := sizeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, "expected a byte count or a number with a unit, such as 262144000, 250MB or 50MiB"
	}
	mult, ok := sizeUnits[strings.ToLower(m[3])]
	if !ok {
		return 0, fmt.Sprintf("unknown unit %q: expected B, KB, MB, GB, KiB, MiB or GiB (KB/MB/GB are 1024-based, as in the AWS Lambda documentation)", m[3])
	}
	const tooLarge = "the size is too large"
	if len(m[1]) > 18 {
		return 0, tooLarge
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, tooLarge
	}
	total := n * mult
	if m[2] != "" {
		if len(m[2]) > 9 {
			return 0, "too many decimal places"
		}
		f, _ := strconv.ParseInt(m[2], 10, 64)
		den := int64(math.Pow10(len(m[2])))
		if (f*mult)%den != 0 {
			return 0, "the size is not a whole number of bytes"
		}
		add := f * mult / den
		if total > math.MaxInt64-add {
			return 0, tooLarge
		}
		total += add
	}
	return total, ""
}

// CheckIndexURL validates an index URL given outside the Geolayerfile (the
// GEOLAYER_INDEX_URL build arg): "" when it is fine, otherwise the problem,
// never echoing credentials.
func CheckIndexURL(s string) string { return checkIndexURL(s) }
