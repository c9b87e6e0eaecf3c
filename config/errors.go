package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration, with its place in the file.
type Error struct {
	// File is the file's name as given to Parse or Load.
	File string
	// Line and Column are 1-based; 0 when unknown (options built in code,
	// or a problem of the whole file). Columns count characters.
	Line, Column int
	// Key is the dotted path of the setting, e.g.
	// "site[0].route[2].redirect.status"; empty for syntax errors.
	Key string
	// Message says what is wrong and, where it can, how to fix it.
	Message string

	key     path // Key, as components
	decoded bool // a type or syntax problem found while decoding
}

// Error formats the error as "file:line:column: message", leaving out
// what is unknown; without a line it names the key instead.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	switch {
	case e.Line > 0:
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		if e.Column > 0 {
			b.WriteString(strconv.Itoa(e.Column))
			b.WriteString(":")
		}
	case e.Key != "":
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(e.Key)
		b.WriteString(":")
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors is every problem found in a configuration, in file order, so
// that `brick validate` can report them all at once. Parse, Load,
// Validate, CheckPaths and CheckHandlers return it as a *Errors.
type Errors struct {
	List []*Error
}

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, err := range e.List {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the problems to errors.Is and errors.As.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, err := range e.List {
		errs[i] = err
	}
	return errs
}

// asError sorts the problems by position (those without a line last) and
// returns them as an error, or nil when there are none.
func asError(list []*Error) error {
	if len(list) == 0 {
		return nil
	}
	slices.SortStableFunc(list, func(a, b *Error) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = int(^uint(0) >> 1)
		}
		if lb == 0 {
			lb = int(^uint(0) >> 1)
		}
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(a.Column, b.Column))
	})
	return &Errors{List: list}
}
