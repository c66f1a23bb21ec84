package main

import (
	"unicode/utf8"

	"golang.org/x/text/width"
)

// displayWidth is how many terminal columns s takes: a Chinese character takes two.
func displayWidth(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == '\x1b' { // skip an ANSI colour sequence
			for len(s) > 0 && s[0] != 'm' {
				s = s[1:]
			}
			if len(s) > 0 {
				s = s[1:]
			}
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
