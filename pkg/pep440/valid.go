package pep440

import "regexp"

// versionRe is packaging's VERSION_PATTERN (packaging.version), anchored.
// It is matched against the ASCII-lowercased text: (?i) would also take
// "ſ" for "s" and the Kelvin sign for "k", which packaging refuses since
// 26.1 (ASCII only).
var versionRe = regexp.MustCompile(`^v?` +
	`(?:[0-9]+!)?` + // epoch
	`[0-9]+(?:\.[0-9]+)*` + // release
	`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?` + // pre
	`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?` + // post ("-N" or a word)
	`(?:[-_.]?dev[-_.]?[0-9]*)?` + // dev
	`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$`) // local

// Valid reports whether s is a PEP 440 version in any spelling packaging
// accepts (not necessarily normalized), without surrounding white space.
// Unlike ParseVersion it takes numbers of any size, as packaging does: it
// checks the versions in wheel file names, which are kept as written.
// Otherwise the two agree (FuzzParseVersion checks it).
func Valid(s string) bool {
	return versionRe.MatchString(asciiLower(s))
}
