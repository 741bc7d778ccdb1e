package layerzip

import (
	"fmt"
	"strings"
)

// maxLinkHops bounds symlink expansion while checking targets (Linux uses 40).
const maxLinkHops = 40

// LinkError reports a symlink whose target is absolute, leaves the archive
// root, or loops.
type LinkError struct {
	Name   string // archive name of the symlink
	Path   string // file on disk, when known
	Target string
	Reason string
}

func (e *LinkError) Error() string {
	where := e.Name
	if e.Path != "" {
		where = e.Path
	}
	return fmt.Sprintf("layerzip: symlink %s -> %s: %s", where, e.Target, e.Reason)
}

// checkLinks verifies that every symlink in entries has a relative target
// that resolves inside the archive root. Resolution follows the path the
// kernel would: components are taken one at a time from the link's
// directory and symlinks among entries met on the way are expanded, so
// "a/l -> s/../x" with "a/s -> ../.." is caught although it looks harmless
// lexically. Targets may dangle: they can live in another fragment.
func checkLinks(entries []Entry) error {
	links := map[string]string{}
	for _, e := range entries {
		if e.kind() == kindSymlink {
			links[e.Name] = e.LinkTarget
		}
	}
	for _, e := range entries {
		if e.kind() != kindSymlink {
			continue
		}
		if reason := linkEscapes(e.Name, e.LinkTarget, links); reason != "" {
			return &LinkError{Name: e.Name, Target: e.LinkTarget, Reason: reason}
		}
	}
	return nil
}

// linkEscapes returns why the link name -> target is refused, or "".
func linkEscapes(name, target string, links map[string]string) string {
	switch {
	case target == "":
		return "empty target"
	case strings.HasPrefix(target, "/"):
		return "absolute target (resolves outside the archive on the target system)"
	case strings.ContainsRune(target, 0):
		return "target contains NUL"
	}
	// stack holds the resolved directory components below the archive root.
	stack := strings.Split(name, "/")
	stack = stack[:len(stack)-1]
	todo := strings.Split(target, "/")
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "target leaves the archive root"
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		t, ok := links[strings.Join(stack, "/")]
		if !ok {
			continue
		}
		if hops++; hops > maxLinkHops {
			return "too many levels of symbolic links"
		}
		if t == "" || strings.HasPrefix(t, "/") {
			return "target passes through a symlink with an absolute or empty target"
		}
		stack = stack[:len(stack)-1]
		todo = append(strings.Split(t, "/"), todo...)
	}
	return ""
}
