package web

import (
	"strconv"
	"strings"
)

// Numbers by language: digit grouping, decimal mark and percent sign as
// CLDR (and browsers' Intl.NumberFormat) write them. French groups digits
// with a narrow no-break space (U+202F: "12 345") and puts a no-break
// space (U+00A0) before "%" ("50,0 %"); English writes "12,345" and
// "50.0%".
//
// golang.org/x/text/number would do this too, but its CLDR data predates
// the narrow no-break space (it writes "12 345" with U+00A0, which
// browsers no longer do), and formatting through a message.Printer would
// also group the identifiers our messages print; two languages need a
// table of three symbols.
type numberSymbols struct {
	group, decimal string
	percent        string // between the number and "%"
}

var numberFormats = map[string]numberSymbols{
	"en": {group: ",", decimal: ".", percent: ""},
	"fr": {group: "\u202f", decimal: ",", percent: "\u00a0"},
}

func (l *Locale) numberSymbols() numberSymbols {
	if s, ok := numberFormats[l.Lang]; ok {
		return s
	}
	return numberFormats["en"]
}

// Int writes n with the language's digit grouping: "12 345" in French,
// "12,345" in English; numbers below 1000 as they are.
func (l *Locale) Int(n int) string {
	return l.number(strconv.Itoa(n))
}

// Decimal writes x rounded to digits decimals with the language's decimal
// mark and grouping: Decimal(50, 1) is "50,0" in French, "50.0" in English.
func (l *Locale) Decimal(x float64, digits int) string {
	return l.number(strconv.FormatFloat(x, 'f', digits, 64))
}

// Percent writes x (a percentage: 50 for a half) like Decimal, with the
// language's percent sign: "50,0 %" in French, "50.0%" in English.
func (l *Locale) Percent(x float64, digits int) string {
	return l.Decimal(x, digits) + l.numberSymbols().percent + "%"
}

// number rewrites s, a number as strconv writes it ("-12345.6"), with the
// language's symbols.
func (l *Locale) number(s string) string {
	sym := l.numberSymbols()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sym.group)
		}
		b.WriteRune(d)
	}
	if hasFrac {
		b.WriteString(sym.decimal)
		b.WriteString(frac)
	}
	return b.String()
}
