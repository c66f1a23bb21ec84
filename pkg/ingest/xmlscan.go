package ingest

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errFallback means the fast reader met something outside the narrow subset
// of XML it handles: the file is read again, from the start, with excelize.
// Anything that encoding/xml would refuse is such a thing, so the fast reader
// never accepts what the library path would reject.
var errFallback = errors.New("ingest: outside the fast reader's subset")

// Token kinds of xmlScanner.
const (
	tokEOF = iota
	tokStart
	tokEnd
	tokText
)

// xmlToken is one token; its slices point into the scanner's buffer and are
// valid until the next call to next.
type xmlToken struct {
	kind  int
	name  []byte // start and end tags
	attrs []byte // start tags: the raw text between the name and > or />
	empty bool   // a start tag that closes itself (<v/>)
	text  []byte // text, raw: entities not yet decoded
}

// maxToken bounds one tag or text run; a longer one is not ours to handle.
const maxToken = 16 << 20

// xmlScanner is a pull tokenizer over a stream of XML, strict where
// encoding/xml is strict: tags must nest and match, attributes be quoted,
// entities be known, characters be legal. Comments, CDATA, doctypes and
// processing instructions past the prolog are not handled (errFallback).
type xmlScanner struct {
	r     io.Reader
	buf   []byte
	pos   int
	eof   bool
	stack []byte // the names of open elements, each followed by 0
	ends  []int  // where each open element's name starts in stack
	root  bool   // the root element has been opened
	read  int64  // bytes consumed before buf[0]
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 0, 64<<10)}
}

// fill reads more input, keeping buf[pos:]; false at the end of input.
func (s *xmlScanner) fill() (bool, error) {
	if s.eof {
		return false, nil
	}
	if s.pos > 0 {
		s.read += int64(s.pos)
		n := copy(s.buf, s.buf[s.pos:])
		s.buf = s.buf[:n]
		s.pos = 0
	}
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) >= maxToken {
			return false, errFallback
		}
		nb := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err == io.EOF {
		s.eof = true
		return n > 0, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// depth is how many elements are open.
func (s *xmlScanner) depth() int { return len(s.ends) }

// next returns the next token.
func (s *xmlScanner) next() (xmlToken, error) {
	for s.pos >= len(s.buf) {
		more, err := s.fill()
		if err != nil {
			return xmlToken{}, err
		}
		if !more {
			if s.depth() > 0 || !s.root {
				return xmlToken{}, errFallback // the document ended early
			}
			return xmlToken{kind: tokEOF}, nil
		}
	}
	if s.buf[s.pos] != '<' {
		for {
			if i := bytes.IndexByte(s.buf[s.pos:], '<'); i >= 0 {
				t := s.buf[s.pos : s.pos+i]
				s.pos += i
				return s.textToken(t)
			}
			if s.eof {
				t := s.buf[s.pos:]
				s.pos = len(s.buf)
				return s.textToken(t)
			}
			if _, err := s.fill(); err != nil {
				return xmlToken{}, err
			}
		}
	}
	for len(s.buf)-s.pos < 2 {
		more, err := s.fill()
		if err != nil {
			return xmlToken{}, err
		}
		if !more {
			return xmlToken{}, errFallback
		}
	}
	if s.buf[s.pos+1] == '?' {
		return s.procInst()
	}
	// A tag: find its closing > outside quoted attribute values.
	for {
		end, ok := tagEnd(s.buf[s.pos:])
		if ok {
			tag := s.buf[s.pos : s.pos+end+1]
			s.pos += end + 1
			return s.tagToken(tag)
		}
		if end < 0 {
			return xmlToken{}, errFallback
		}
		more, err := s.fill()
		if err != nil {
			return xmlToken{}, err
		}
		if !more {
			return xmlToken{}, errFallback
		}
	}
}

// tagEnd finds the > that ends the tag at the start of b; ok false if b does
// not hold all of it yet, end -1 if it cannot be a tag we handle.
func tagEnd(b []byte) (end int, ok bool) {
	var quote byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '<' {
				return -1, false // encoding/xml: unescaped < inside a quoted string
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i, true
		case c == '<':
			return -1, false
		}
	}
	return 0, false
}

func (s *xmlScanner) textToken(t []byte) (xmlToken, error) {
	if s.depth() == 0 && !isSpace(t) {
		return xmlToken{}, errFallback // text outside the root element
	}
	return xmlToken{kind: tokText, text: t}, nil
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func (s *xmlScanner) tagToken(tag []byte) (xmlToken, error) {
	body := tag[1 : len(tag)-1]
	switch {
	case len(body) > 0 && body[0] == '!':
		return xmlToken{}, errFallback // comments, CDATA, doctypes
	case len(body) > 0 && body[0] == '/':
		name := trimSpaceRight(body[1:])
		if !validName(name) || s.depth() == 0 {
			return xmlToken{}, errFallback
		}
		top := s.ends[len(s.ends)-1]
		if !bytes.Equal(s.stack[top:len(s.stack)-1], name) {
			return xmlToken{}, errFallback // mismatched end tag
		}
		s.stack = s.stack[:top]
		s.ends = s.ends[:len(s.ends)-1]
		return xmlToken{kind: tokEnd, name: name}, nil
	}
	empty := len(body) > 0 && body[len(body)-1] == '/'
	if empty {
		body = body[:len(body)-1]
	}
	n := 0
	for n < len(body) && !isSpaceByte(body[n]) {
		n++
	}
	name, attrs := body[:n], body[n:]
	if !validName(name) || (n < len(body) && !isSpaceByte(body[n])) {
		return xmlToken{}, errFallback
	}
	// Rows and cells are the bulk of a sheet, and their readers parse every
	// attribute anyway (eachAttr checks as it parses); anywhere else a row or
	// cell is errFallback. Every other tag is checked here.
	if string(name) != "c" && string(name) != "row" {
		if err := eachAttr(attrs, func(_, _ []byte) error { return nil }); err != nil {
			return xmlToken{}, err
		}
	}
	if s.depth() == 0 {
		if s.root {
			return xmlToken{}, errFallback // a second root
		}
		s.root = true
	}
	if !empty {
		s.ends = append(s.ends, len(s.stack))
		s.stack = append(append(s.stack, name...), 0)
	}
	return xmlToken{kind: tokStart, name: name, attrs: attrs, empty: empty}, nil
}

// procInst reads a processing instruction: only the XML declaration, before
// the root, declaring version 1.0 (or none) and UTF-8 (or nothing), as
// encoding/xml reads it.
func (s *xmlScanner) procInst() (xmlToken, error) {
	for {
		if i := bytes.Index(s.buf[s.pos+2:], []byte("?>")); i >= 0 {
			data := string(s.buf[s.pos+2 : s.pos+2+i])
			s.pos += 2 + i + 2
			target, content, _ := strings.Cut(data, " ")
			if s.root || target != "xml" {
				return xmlToken{}, errFallback
			}
			if v := procInstParam("version", content); v != "" && v != "1.0" {
				return xmlToken{}, errFallback
			}
			if e := procInstParam("encoding", content); e != "" && !strings.EqualFold(e, "utf-8") {
				return xmlToken{}, errFallback
			}
			return s.next()
		}
		more, err := s.fill()
		if err != nil {
			return xmlToken{}, err
		}
		if !more {
			return xmlToken{}, errFallback
		}
	}
}

// procInstParam is encoding/xml's procInst: a parameter's value in a processing instruction.
func procInstParam(param, s string) string {
	param += "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && isSpaceByte(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// validName accepts the names spreadsheets use: ASCII letters, digits, _ - .
// and one optional prefix; anything else falls back.
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	colon := false
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		case c == ':' && i > 0 && i < len(b)-1 && !colon:
			colon = true
		default:
			return false
		}
	}
	return true
}

// local is a name without its prefix.
func local(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// eachAttr calls fn with each attribute's name and raw value; a syntax
// encoding/xml would refuse is errFallback.
func eachAttr(b []byte, fn func(name, value []byte) error) error {
	i := 0
	for {
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i == len(b) {
			return nil
		}
		start := i
		for i < len(b) && b[i] != '=' && !isSpaceByte(b[i]) {
			i++
		}
		name := b[start:i]
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if !validName(name) || i == len(b) || b[i] != '=' {
			return errFallback
		}
		i++
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i == len(b) || (b[i] != '"' && b[i] != '\'') {
			return errFallback
		}
		q := b[i]
		j := bytes.IndexByte(b[i+1:], q)
		if j < 0 {
			return errFallback
		}
		val := b[i+1 : i+1+j]
		i += j + 2
		if i < len(b) && !isSpaceByte(b[i]) {
			return errFallback
		}
		if err := checkText(val); err != nil {
			return err
		}
		if err := fn(name, val); err != nil {
			return err
		}
	}
}

// checkText reports errFallback for text encoding/xml would refuse or
// rewrite: a bad entity, an illegal character, a carriage return (which it
// turns into a line feed).
func checkText(b []byte) error {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '&':
			j := bytes.IndexByte(b[i:], ';')
			if j < 0 {
				return errFallback
			}
			if _, ok := entity(b[i+1 : i+j]); !ok {
				return errFallback
			}
			i += j
		case c == '\r', c < 0x20 && c != '\t' && c != '\n':
			return errFallback
		case c >= 0x80:
			r, size := utf8.DecodeRune(b[i:])
			if !legalRune(r) || (r == utf8.RuneError && size == 1) {
				return errFallback
			}
			i += size - 1
		}
	}
	return nil
}

func legalRune(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// entity decodes the name between & and ;.
func entity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var v uint64
	var err error
	if name[1] == 'x' {
		v, err = strconv.ParseUint(string(name[2:]), 16, 32)
	} else {
		v, err = strconv.ParseUint(string(name[1:]), 10, 32)
	}
	if err != nil || !legalRune(rune(v)) {
		return 0, false
	}
	return rune(v), true
}

// appendText appends checked raw text with its entities decoded.
func appendText(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		j := bytes.IndexByte(b[i:], ';')
		r, _ := entity(b[i+1 : i+j])
		dst = utf8.AppendRune(dst, r)
		b = b[i+j+1:]
	}
}

// textOf reads the text of an element whose start tag was just read, up to
// its end tag; an element inside it is errFallback.
func (s *xmlScanner) textOf(start xmlToken, dst []byte) ([]byte, error) {
	if start.empty {
		return dst, nil
	}
	for {
		t, err := s.next()
		if err != nil {
			return dst, err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return dst, err
			}
			dst = appendText(dst, t.text)
		case tokEnd:
			return dst, nil
		default:
			return dst, errFallback
		}
	}
}

// skip reads past the element whose start tag was just read, checking what
// it holds. Elements that matter to a sheet's rows are not expected inside
// what is skipped: meeting one is errFallback.
func (s *xmlScanner) skip(start xmlToken) error {
	if start.empty {
		return nil
	}
	d := s.depth()
	for {
		t, err := s.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return err
			}
		case tokStart:
			if isSheetElement(local(t.name)) {
				return errFallback
			}
		case tokEnd:
			if s.depth() < d {
				return nil
			}
		case tokEOF:
			return errFallback
		}
	}
}

// isSheetElement names what excelize looks for wherever it appears.
func isSheetElement(name []byte) bool {
	switch string(name) {
	case "row", "c", "v", "f", "is", "sheetData", "si", "t":
		return true
	}
	return false
}
