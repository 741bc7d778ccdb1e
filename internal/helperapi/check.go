package helperapi

// CheckOptions are the platform facts the static check (and vendoring,
// which resolves libraries the same way) needs: the frontend fills them
// from the profile table for the check and vendor steps, the geolayer
// check command for a layer on disk.
type CheckOptions struct {
	Machine      string            `json:"machine"` // x86_64 or aarch64
	MountPoint   string            `json:"mountPoint"`
	LibraryPath  []string          `json:"libraryPath"`
	SystemDirs   []string          `json:"systemDirs"`
	Absent       map[string]string `json:"absent,omitempty"`
	GlibcCeiling string            `json:"glibcCeiling,omitempty"`
	SitePackages string            `json:"sitePackages"`
	// Mode is CHECK: with CheckWarn the check step reports its errors
	// without failing.
	Mode CheckMode `json:"mode"`
}
