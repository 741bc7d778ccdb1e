// Package wheel implements the parts of the Python wheel standards that
// geolayer needs without running Python: wheel filename parsing and name
// normalization, the ordered PEP 425 tag list a CPython interpreter on a
// manylinux (glibc) target would accept, wheel selection against that list,
// and a streaming, verifying installer that spreads a wheel into a scheme
// per the binary distribution format specification.
//
// The package has no BuildKit dependencies and uses the standard library
// only. Everything it produces is deterministic: tag lists, selection
// results, installed file trees (modes and mtimes) and the RECORD it writes.
package wheel
