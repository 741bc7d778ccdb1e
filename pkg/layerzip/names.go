package layerzip

import (
	"fmt"
	"strings"
)

// nameSet detects, across one or many fragments, duplicate names and
// clashes where a file or symlink would also have to be a directory
// ("lib" and "lib/x"): extractors would either fail or write through the
// symlink.
type nameSet struct {
	leaf   map[string]origin // entry name without trailing '/'
	parent map[string]origin // directories implied by entry names
}

type origin struct {
	name  string // the entry name
	label string // fragment, "" inside a single fragment
}

func (o origin) String() string {
	if o.label == "" {
		return fmt.Sprintf("%q", o.name)
	}
	return fmt.Sprintf("%q (fragment %s)", o.name, o.label)
}

// add records name, which comes from the fragment called label.
func (s *nameSet) add(name, label string) error {
	if s.leaf == nil {
		s.leaf, s.parent = map[string]origin{}, map[string]origin{}
	}
	me := origin{name, label}
	key := strings.TrimSuffix(name, "/")
	dir := key != name
	if o, ok := s.leaf[key]; ok {
		if o.name == name {
			if label == "" && o.label == "" {
				return fmt.Errorf("layerzip: duplicate entry %q", name)
			}
			return fmt.Errorf("layerzip: duplicate entry %q in fragments %s and %s", name, o.label, label)
		}
		return fmt.Errorf("layerzip: entry %s clashes with %s", me, o)
	}
	if o, ok := s.parent[key]; ok && !dir {
		return fmt.Errorf("layerzip: entry %s is not a directory but %s is below it", me, o)
	}
	s.leaf[key] = me
	for p := key; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		if _, ok := s.parent[p]; ok {
			break // p's ancestors were registered and checked with it
		}
		if o, ok := s.leaf[p]; ok && !strings.HasSuffix(o.name, "/") {
			return fmt.Errorf("layerzip: entry %s is below %s, which is not a directory", me, o)
		}
		s.parent[p] = me
	}
	return nil
}
