package simpleindex

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

type jsonPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name  string     `json:"name"`
	Files []jsonFile `json:"files"`
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   *string           `json:"requires-python"`
	CoreMetadata     json.RawMessage   `json:"core-metadata"`
	DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
	Yanked           json.RawMessage   `json:"yanked"`
	Size             *int64            `json:"size"`
	UploadTime       *string           `json:"upload-time"`
}

// parseJSON parses a PEP 691 project page.
func parseJSON(body []byte, page *url.URL) (*Project, error) {
	var jp jsonPage
	if err := json.Unmarshal(body, &jp); err != nil {
		return nil, fmt.Errorf("simpleindex: json: %w", err)
	}
	if err := checkAPIVersion(jp.Meta.APIVersion); err != nil {
		return nil, err
	}
	p := &Project{Name: NormalizeName(jp.Name), APIVersion: jp.Meta.APIVersion}
	if p.Name == "" {
		p.Name = nameFromPageURL(page)
	}
	for i, jf := range jp.Files {
		f, err := convertJSONFile(jf, page)
		if err != nil {
			return nil, fmt.Errorf("simpleindex: json: files[%d] (%s): %w", i, jf.Filename, err)
		}
		p.Files = append(p.Files, f)
	}
	return p, nil
}

func convertJSONFile(jf jsonFile, page *url.URL) (File, error) {
	if jf.URL == "" {
		return File{}, fmt.Errorf("missing url")
	}
	abs, frag, err := resolve(page, jf.URL)
	if err != nil {
		return File{}, fmt.Errorf("url %q: %w", jf.URL, err)
	}
	f := File{Filename: strings.TrimSpace(jf.Filename), URL: abs}
	if f.Filename == "" {
		f.Filename = filenameFromURL(abs)
	}
	if f.Filename == "" {
		return File{}, fmt.Errorf("missing filename")
	}
	f.Hashes, err = normalizeHashes(jf.Hashes)
	if err != nil {
		return File{}, err
	}
	// A hash in the URL fragment is kept only if the table lacks that
	// algorithm; the table is authoritative.
	if alg, hex, ok := parseHashPair(frag); ok {
		if f.Hashes == nil {
			f.Hashes = map[string]string{}
		}
		if _, dup := f.Hashes[alg]; !dup {
			f.Hashes[alg] = hex
		}
	}
	if jf.RequiresPython != nil {
		f.RequiresPython = strings.TrimSpace(*jf.RequiresPython)
	}
	if f.Yanked, f.YankedReason, err = decodeYanked(jf.Yanked); err != nil {
		return File{}, err
	}
	meta := jf.CoreMetadata
	if len(meta) == 0 || string(meta) == "null" {
		meta = jf.DistInfoMetadata // pre-PEP 714 name
	}
	if f.CoreMetadata, f.CoreMetadataHashes, err = decodeCoreMetadata(meta); err != nil {
		return File{}, err
	}
	if jf.Size != nil {
		if *jf.Size < 0 {
			return File{}, fmt.Errorf("negative size %d", *jf.Size)
		}
		f.Size = *jf.Size
	}
	if jf.UploadTime != nil && *jf.UploadTime != "" {
		// The spec mandates ISO 8601 UTC; unparseable times are dropped
		// rather than failing the whole page for an informational field.
		if t, err := time.Parse(time.RFC3339Nano, *jf.UploadTime); err == nil {
			f.UploadTime = t.UTC()
		}
	}
	return f, nil
}

// normalizeHashes lowercases algorithm names and digests.
func normalizeHashes(in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for alg, hex := range in {
		alg, hex = strings.ToLower(strings.TrimSpace(alg)), strings.ToLower(strings.TrimSpace(hex))
		if alg == "" || !isHex(hex) {
			return nil, fmt.Errorf("invalid hash %q=%q", alg, hex)
		}
		out[alg] = hex
	}
	return out, nil
}

// decodeYanked accepts false, true or a non-empty reason string.
func decodeYanked(raw json.RawMessage) (bool, string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, "", nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, "", nil
	}
	var reason string
	if err := json.Unmarshal(raw, &reason); err != nil {
		return false, "", fmt.Errorf("yanked: want bool or string, got %s", raw)
	}
	return true, reason, nil
}

// decodeCoreMetadata accepts a bool or a hash table.
func decodeCoreMetadata(raw json.RawMessage) (bool, map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil, nil
	}
	var hashes map[string]string
	if err := json.Unmarshal(raw, &hashes); err != nil {
		return false, nil, fmt.Errorf("core-metadata: want bool or hash table, got %s", raw)
	}
	h, err := normalizeHashes(hashes)
	if err != nil {
		return false, nil, fmt.Errorf("core-metadata: %w", err)
	}
	return true, h, nil
}
