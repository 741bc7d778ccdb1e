package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultPython is the reference interpreter: Debian's python3 with
// Debian's python3-packaging (make test installs it), not a pyenv or venv
// python3 that may come first on PATH.
const DefaultPython = "/usr/bin/python3"

// Dir is this package's directory (reference.py, allowlist.txt).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Reference is what reference.py reported.
type Reference struct {
	Packaging string `json:"packaging"`
	Python    string `json:"python"`
	Answers   map[string]Answer
}

// RunReference runs reference.py with python (extra environment entries
// in env, e.g. PYTHONPATH) on the cases and returns its answers by case id.
func RunReference(python string, env []string, cases []Case) (*Reference, error) {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	if err := enc.Encode(map[string]any{"kind": "envs", "envs": Envs(), "stable": StableEnvs}); err != nil {
		return nil, err
	}
	for _, c := range cases {
		if err := enc.Encode(c); err != nil {
			return nil, err
		}
	}
	// -I (isolated): no PYTHONPATH, no user site-packages, so the test
	// sees the system's packaging only. With env (another packaging on
	// PYTHONPATH, by hand) only the user site-packages are left out.
	cmd := exec.Command(python, "-I", filepath.Join(Dir(), "reference.py"))
	if len(env) > 0 {
		cmd = exec.Command(python, "-s", filepath.Join(Dir(), "reference.py"))
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin = &in
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s reference.py: %v\n%s", python, err, tail(stderr.String(), 2000))
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	ref := &Reference{Answers: map[string]Answer{}}
	first := true
	for sc.Scan() {
		if first {
			first = false
			if err := json.Unmarshal(sc.Bytes(), ref); err != nil {
				return nil, fmt.Errorf("reference.py header: %v", err)
			}
			continue
		}
		var a Answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("reference.py answer %q: %v", tail(sc.Text(), 200), err)
		}
		ref.Answers[a.ID] = a
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if ref.Packaging == "" {
		return nil, fmt.Errorf("reference.py printed no header (stderr: %s)", tail(stderr.String(), 2000))
	}
	return ref, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Mismatch is a case the two sides answer differently.
type Mismatch struct {
	Case     Case
	Geolayer Answer
	Ref      Answer
}

// Diff answers every case with geolayer and returns the cases whose
// answer differs from ref's (in case order).
func Diff(cases []Case, ref *Reference) ([]Mismatch, error) {
	var out []Mismatch
	for _, c := range cases {
		r, ok := ref.Answers[c.ID]
		if !ok {
			return nil, fmt.Errorf("reference.py did not answer %s", c.ID)
		}
		g := Geolayer(c, EnvsFor(c.Kind))
		if g.Key() != r.Key() {
			out = append(out, Mismatch{Case: c, Geolayer: g, Ref: r})
		}
	}
	return out, nil
}

// String shows the case and both answers.
func (m Mismatch) String() string {
	in, _ := json.Marshal(m.Case)
	return fmt.Sprintf("%s\n  case:      %s\n  geolayer:  %s\n  packaging: %s", m.Case.ID, in, m.Geolayer.Key(), m.Ref.Key())
}
