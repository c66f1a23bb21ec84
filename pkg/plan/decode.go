package plan

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is where a YAML value stood, and where each of its fields did, so that a
// problem found after decoding can still name its line and column.
type Pos struct {
	Line, Column int
	fields       map[string]Pos
}

// Of is the position of a field's value, or of the whole value if the field was absent.
func (p Pos) Of(field string) Pos {
	if f, ok := p.fields[field]; ok {
		return f
	}
	return Pos{Line: p.Line, Column: p.Column}
}

// Has reports whether the field was given.
func (p Pos) Has(field string) bool { _, ok := p.fields[field]; return ok }

var (
	posType  = reflect.TypeOf(Pos{})
	dateType = reflect.TypeOf(Date{})
	nodeType = reflect.TypeOf(yaml.Node{})
)

// decoder decodes YAML nodes into the raw rule structs strictly: an unknown
// field, a duplicate key or a value of the wrong type is a problem with its
// line and column, and decoding goes on so that every problem is found.
type decoder struct {
	file     string
	problems *[]Problem
}

func (d decoder) report(n *yaml.Node, format string, args ...any) {
	*d.problems = append(*d.problems, Problem{File: d.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
}

func (d decoder) reportAt(p Pos, format string, args ...any) {
	*d.problems = append(*d.problems, Problem{File: d.file, Line: p.Line, Column: p.Column, Msg: fmt.Sprintf(format, args...)})
}

// decode fills v (a pointer) from n.
func (d decoder) decode(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		// An alias can refer to itself or multiply a document a billionfold; rule files do not need them.
		d.report(n, "YAML aliases (*%s) are not allowed in rule files: write the value out", n.Value)
		return
	}
	t := v.Type()
	switch {
	case t == nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	case t == dateType:
		if !d.scalar(n, "a date (YYYY-MM-DD)") {
			return
		}
		date, err := ParseDate(n.Value)
		if err != nil {
			d.report(n, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(date))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		p := reflect.New(t.Elem())
		d.decode(n, p.Elem())
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v)
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.report(n, "expected a list, found %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.report(n, "expected a mapping, found %s", describe(n))
			return
		}
		m := reflect.MakeMap(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				d.report(k, "duplicate key %q", k.Value)
				continue
			}
			e := reflect.New(t.Elem()).Elem()
			d.decode(val, e)
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
	case reflect.String:
		if d.scalar(n, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Float64:
		if !d.scalar(n, "a number") {
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || n.Tag == "!!str" {
			d.report(n, "expected a number, found %q", n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Int:
		if !d.scalar(n, "a whole number") {
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil || n.Tag == "!!str" {
			d.report(n, "expected a whole number, found %q", n.Value)
			return
		}
		v.SetInt(int64(i))
	default:
		panic(fmt.Sprintf("plan: cannot decode into %s", t))
	}
}

func (d decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.report(n, "expected a mapping, found %s", describe(n))
		return
	}
	t := v.Type()
	byKey := map[string]int{}
	var known []string
	posField := -1
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == posType {
			posField = i
			continue
		}
		key := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if key == "" || key == "-" {
			continue
		}
		byKey[key] = i
		known = append(known, key)
	}
	pos := Pos{Line: n.Line, Column: n.Column, fields: map[string]Pos{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := byKey[k.Value]
		if !ok {
			d.report(k, "unknown field %q (known fields: %s)", k.Value, strings.Join(sorted(known), ", "))
			continue
		}
		if _, dup := pos.fields[k.Value]; dup {
			d.report(k, "duplicate field %q", k.Value)
			continue
		}
		pos.fields[k.Value] = Pos{Line: val.Line, Column: val.Column}
		d.decode(val, v.Field(idx))
	}
	if posField >= 0 {
		v.Field(posField).Set(reflect.ValueOf(pos))
	}
}

func (d decoder) scalar(n *yaml.Node, want string) bool {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.report(n, "expected %s, found %s", want, describe(n))
		return false
	}
	return true
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if isNull(n) {
		return "nothing"
	}
	return strconv.Quote(n.Value)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
