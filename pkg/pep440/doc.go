// Package pep440 reads Python package versions and version specifiers
// (PEP 440, https://packaging.python.org/en/latest/specifications/version-specifiers/)
// as Python's packaging library does: parsing with the normalizations the
// specification lists, ordering, and specifier sets such as
// Requires-Python and the clauses of a requirement. Where it deliberately
// differs from packaging is in docs/conformance.md; test/conformance
// checks the rest against packaging.
package pep440
