package helperapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// The option structs describe their flags with struct tags:
//
//	Wheel string `flag:"wheel,required" help:"the wheel file"`
//
// flag is the flag's name, then options: required (the decoded value must
// not be zero), json (the value is JSON: nested option structs). A field's
// type is a string, a bool, a signed integer, a type with MarshalText and
// UnmarshalText (the modes), or map[string]string (a repeatable
// --flag=KEY=VALUE); with json, any type encoding/json handles.

type field struct {
	index    int
	name     string
	help     string
	required bool
	json     bool
}

// fields lists the flags of an option struct type, in field order.
func fields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("flag")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		f := field{index: i, name: parts[0], help: sf.Tag.Get("help")}
		for _, o := range parts[1:] {
			switch o {
			case "required":
				f.required = true
			case "json":
				f.json = true
			}
		}
		out = append(out, f)
	}
	return out
}

var (
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	stringMap       = reflect.TypeFor[map[string]string]()
)

// encode writes a command line: name, the protocol version, then each
// non-zero field of the struct v points to (or is) as its flag.
func encode(name string, v any) []string {
	rv := reflect.Indirect(reflect.ValueOf(v))
	args := []string{name, "--" + versionFlag + "=" + strconv.Itoa(Version)}
	for _, f := range fields(rv.Type()) {
		fv := rv.Field(f.index)
		if fv.IsZero() {
			continue
		}
		flag := "--" + f.name
		switch {
		case f.json:
			b, err := json.Marshal(fv.Interface())
			if err != nil {
				// Not for the types of this package (a test encodes every
				// field); the helper refuses the value, naming the flag.
				b = []byte("!" + err.Error())
			}
			args = append(args, flag+"="+string(b))
		case fv.Type().Implements(textMarshaler):
			b, err := fv.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				b = []byte("!" + err.Error())
			}
			args = append(args, flag+"="+string(b))
		case fv.Type() == stringMap:
			keys := make([]string, 0, fv.Len())
			for _, k := range fv.MapKeys() {
				keys = append(keys, k.String())
			}
			sort.Strings(keys)
			for _, k := range keys {
				args = append(args, flag+"="+k+"="+fv.MapIndex(reflect.ValueOf(k)).String())
			}
		default:
			switch fv.Kind() {
			case reflect.String:
				args = append(args, flag+"="+fv.String())
			case reflect.Bool:
				args = append(args, flag)
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				args = append(args, flag+"="+strconv.FormatInt(fv.Int(), 10))
			default:
				args = append(args, flag+"=!unsupported field type "+fv.Type().String())
			}
		}
	}
	return args
}

// decode reads a command line without its name (the protocol version
// first) into the struct v points to.
func decode(name string, args []string, v any) error {
	if err := checkVersion(args); err != nil {
		return err
	}
	rv := reflect.ValueOf(v).Elem()
	fs := fields(rv.Type())
	byName := make(map[string]field, len(fs))
	for _, f := range fs {
		byName[f.name] = f
	}
	seen := map[string]bool{}
	for _, arg := range args[1:] {
		rest, ok := strings.CutPrefix(arg, "--")
		if !ok || rest == "" {
			return fmt.Errorf("unexpected argument %s (every option is --flag=value)", strconv.Quote(bounded(arg)))
		}
		fname, val, hasVal := strings.Cut(rest, "=")
		if fname == versionFlag {
			return fmt.Errorf("--%s given twice", versionFlag)
		}
		f, ok := byName[fname]
		if !ok {
			return fmt.Errorf("unknown flag --%s (run 'geolayer helper %s --help' for the flags)", bounded(fname), name)
		}
		fv := rv.Field(f.index)
		repeatable := !f.json && fv.Type() == stringMap
		if seen[fname] && !repeatable {
			return fmt.Errorf("--%s given twice", fname)
		}
		seen[fname] = true
		if fv.Kind() == reflect.Bool && !f.json {
			if hasVal {
				return fmt.Errorf("--%s takes no value (got --%s=%s)", fname, fname, bounded(val))
			}
			fv.SetBool(true)
			continue
		}
		if !hasVal {
			return fmt.Errorf("--%s needs a value: --%s=VALUE", fname, fname)
		}
		if err := setValue(f, fv, val); err != nil {
			return err
		}
	}
	for _, f := range fs {
		if f.required && rv.Field(f.index).IsZero() {
			return fmt.Errorf("--%s is required", f.name)
		}
	}
	return nil
}

// setValue parses one flag's value into its field.
func setValue(f field, fv reflect.Value, val string) error {
	switch {
	case f.json:
		dst := reflect.New(fv.Type())
		dec := json.NewDecoder(strings.NewReader(val))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst.Interface()); err != nil {
			return fmt.Errorf("--%s: invalid value: %v", f.name, err)
		}
		if strings.TrimSpace(val[dec.InputOffset():]) != "" {
			return fmt.Errorf("--%s: invalid value: text after the JSON value", f.name)
		}
		fv.Set(dst.Elem())
	case reflect.PointerTo(fv.Type()).Implements(textUnmarshaler):
		if err := fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(val)); err != nil {
			return fmt.Errorf("--%s: %v", f.name, err)
		}
	case fv.Type() == stringMap:
		k, v, ok := strings.Cut(val, "=")
		if !ok || k == "" {
			return fmt.Errorf("--%s: want KEY=VALUE, got %s", f.name, strconv.Quote(bounded(val)))
		}
		if fv.IsNil() {
			fv.Set(reflect.MakeMap(stringMap))
		}
		if fv.MapIndex(reflect.ValueOf(k)).IsValid() {
			return fmt.Errorf("--%s: %s given twice", f.name, strconv.Quote(bounded(k)))
		}
		fv.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(v))
	default:
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(val)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(val, 10, fv.Type().Bits())
			if err != nil {
				return fmt.Errorf("--%s: invalid value %s: want an integer", f.name, strconv.Quote(bounded(val)))
			}
			fv.SetInt(n)
		default:
			return fmt.Errorf("--%s: unsupported field type %s", f.name, fv.Type())
		}
	}
	return nil
}

// Usage describes a command's flags, one a line, for `geolayer helper
// <command> --help`; "" for an unknown command.
func Usage(name string) string {
	mk, ok := commands[name]
	if !ok {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "usage: geolayer helper %s --%s=%d [--flag=value ...]\n", name, versionFlag, Version)
	t := reflect.TypeOf(mk()).Elem()
	for _, f := range fields(t) {
		flag := "--" + f.name
		switch ft := t.Field(f.index).Type; {
		case f.json:
			flag += "=JSON"
		case ft == stringMap:
			flag += "=KEY=VALUE (repeatable)"
		case ft.Kind() != reflect.Bool || ft.Implements(textMarshaler):
			flag += "=VALUE"
		}
		req := ""
		if f.required {
			req = " (required)"
		}
		fmt.Fprintf(&b, "  %s\n      %s%s\n", flag, f.help, req)
	}
	return b.String()
}
