package wheel

import (
	"strconv"
	"strings"
	"testing"
)

func TestInstallDeclaredLicense(t *testing.T) {
	long := "BSD " + strings.Repeat("x", 5000)
	tests := []struct {
		name, metadata, want string
		expr                 bool
	}{
		{"expression wins", "Metadata-Version: 2.4\nName: demo\nLicense: MIT License text\nLicense-Expression: MIT OR Apache-2.0\n\nbody", "MIT OR Apache-2.0", true},
		{"free text", "Metadata-Version: 2.1\nName: demo\nLicense: BSD 3-Clause\n  continued\n", "BSD 3-Clause continued", false},
		{"UNKNOWN is none", "Metadata-Version: 1.0\nName: demo\nLicense: UNKNOWN\n", "", false},
		{"none", "Metadata-Version: 2.1\nName: demo\n\nLicense: not a header\n", "", false},
		{"long text cut", "Metadata-Version: 2.1\nName: demo\nLicense: " + long + "\n", long[:maxLicenseBytes], false},
		{"headers after a 1 MiB body are not read", "Metadata-Version: 2.1\nName: demo\nLicense: MIT\n\n" + body(), "MIT", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			whl := writeWheel(t, t.TempDir(), "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
				[]zentry{{name: "demo-1.0.dist-info/METADATA", data: tc.metadata}, {name: "demo-1.0.dist-info/WHEEL", data: testWheelFile}}, true)
			res, err := Install(whl, lambdaScheme(t.TempDir()), InstallOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.License != tc.want || res.LicenseExpression != tc.expr {
				t.Fatalf("license = %.60q (expression %v), want %.60q (%v)", res.License, res.LicenseExpression, tc.want, tc.expr)
			}
		})
	}
}

// body is a 2 MiB long description that compresses no better than
// decimal numbers do (a repeated byte would trip the bomb check).
func body() string {
	var b strings.Builder
	for i := 0; b.Len() < 2<<20; i++ {
		b.WriteString(strconv.Itoa(i * 7919))
		b.WriteByte(' ')
	}
	return b.String()
}
