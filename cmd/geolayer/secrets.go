package main

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
)

// secretProvider parses --secret id=ID,src=FILE|env=VAR like buildctl.
func secretProvider(specs []string) (session.Attachable, error) {
	var srcs []secretsprovider.Source
	for _, s := range specs {
		var src secretsprovider.Source
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("bad --secret %q: want id=ID,src=FILE or id=ID,env=VAR", s)
			}
			switch strings.ToLower(k) {
			case "id":
				src.ID = v
			case "src", "source":
				src.FilePath = v
			case "env":
				src.Env = v
			default:
				return nil, fmt.Errorf("bad --secret %q: unknown key %q", s, k)
			}
		}
		if src.ID == "" {
			return nil, fmt.Errorf("bad --secret %q: id is required", s)
		}
		srcs = append(srcs, src)
	}
	store, err := secretsprovider.NewStore(srcs)
	if err != nil {
		return nil, err
	}
	return secretsprovider.NewSecretProvider(store), nil
}
