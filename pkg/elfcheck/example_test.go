package elfcheck_test

import (
	"debug/elf"
	"log"
	"os"

	"github.com/geolayer/geolayer/pkg/elfcheck"
)

// Checking an unpacked python3.12 arm64 Lambda layer against an extracted
// AL2023 runtime image.
func Example() {
	res, err := elfcheck.Check(elfcheck.Config{
		Machine:      elf.EM_AARCH64,
		LayerRoot:    "build/layer",
		MountPoint:   "/opt",
		RuntimeRoot:  "build/runtime-rootfs",
		LibraryPath:  []string{"/lib64", "/usr/lib64", "/var/runtime", "/var/runtime/lib", "/var/task", "/var/task/lib", "/opt/lib"},
		SystemDirs:   []string{"/lib64", "/usr/lib64"},
		GlibcCeiling: "2.34",
		Absent:       map[string]string{"libexpat.so.1": "absent on the real AL2023 Lambda runtime (eoapi-cdk#181)"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := res.WriteText(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if len(res.Errors()) > 0 {
		os.Exit(1)
	}
}
