package helper

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/report"
)

// runLicenses gathers the license files every package kept (listed in its
// report by the slim step) into one THIRD_PARTY_LICENSES at the layer root,
// package by package in name order; the originals stay where they are.
func runLicenses(o *helperapi.Licenses, stdout io.Writer) error {
	pkgs, err := readPackages(o.Meta)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("Third-party licenses of the packages in this layer, collected by geolayer.\n")
	b.WriteString("Each package's own license files are also kept in its *.dist-info folder.\n")
	declared := declaredLicenses(o.Tree)
	var missing []string
	for _, p := range pkgs {
		if len(p.Licenses) == 0 {
			if d := declared[p.Name]; d != "" {
				fmt.Fprintf(&b, "\n%s\n%s %s: no license file in the wheel; its METADATA declares: %s\n%s\n", rule, p.Name, p.Version, d, rule)
			} else {
				missing = append(missing, p.Name)
			}
			continue
		}
		for _, l := range p.Licenses {
			body, err := os.ReadFile(filepath.Join(o.Tree, filepath.FromSlash(l)))
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "\n%s\n%s %s: %s\n%s\n\n", rule, p.Name, p.Version, l, rule)
			b.Write(bytes.TrimRight(body, "\n"))
			b.WriteString("\n")
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "\n%s\nPackages without a license file in their wheel (see their METADATA License field): %v\n", rule, missing)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.Out, helperapi.LicensesFile), b.Bytes(), 0o644); err != nil {
		return err
	}
	pkg := &report.Package{Name: helperapi.LicensesName, Files: 1, Bytes: int64(b.Len())}
	if len(missing) > 0 {
		pkg.Warnings = append(pkg.Warnings, fmt.Sprintf("no license file in the wheels of: %v", missing))
	}
	return writePackage(o.MetaOut, pkg)
}

// declaredLicenses reads License-Expression (PEP 639) or License from
// every METADATA in the tree, by normalized project name.
func declaredLicenses(tree string) map[string]string {
	out := map[string]string{}
	mds, _ := filepath.Glob(filepath.Join(tree, "*", "*", "*", "*", "*.dist-info", "METADATA"))
	more, _ := filepath.Glob(filepath.Join(tree, "*", "*.dist-info", "METADATA"))
	more2, _ := filepath.Glob(filepath.Join(tree, "*", "*", "*.dist-info", "METADATA"))
	for _, md := range append(append(mds, more...), more2...) {
		b, err := os.ReadFile(md)
		if err != nil {
			continue
		}
		var name, lic, expr string
		for _, line := range strings.Split(string(b), "\n") {
			if line == "" {
				break // headers end at the first blank line
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(k) {
			case "name":
				name = wheelName(v)
			case "license":
				lic = v
			case "license-expression":
				expr = v
			}
		}
		if expr != "" {
			lic = expr
		}
		if name != "" && lic != "" && !strings.EqualFold(lic, "UNKNOWN") {
			out[name] = lic
		}
	}
	return out
}

func wheelName(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "-", ".", "-").Replace(s)
}

var rule = "================================================================================"
