package notice

import (
	"html/template"
	"strings"
	"sync"
	"unicode/utf8"
)

// textWidth is the column a plain-text e-mail's paragraphs are wrapped at.
const textWidth = 72

// text renders the plain-text e-mail body.
func (v *view) text() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(strings.TrimRight(s, " ")); b.WriteByte('\n') }
	para := func(s string) {
		for _, l := range wrapRunes(s, textWidth) {
			line(l)
		}
	}
	line(v.Title)
	line("")
	width := 0
	for _, p := range v.Info {
		width = max(width, utf8.RuneCountInString(p.Label)+1)
	}
	for _, p := range v.Info {
		line(pad(p.Label+":", width, false) + " " + p.Value)
	}
	line("")
	para(v.Greeting)
	line("")
	para(v.Intro)
	line("")

	// The table, in columns as wide as their widest cell.
	widths := make([]int, len(v.Head))
	for i, h := range v.Head {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range v.Rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	row := func(cells []string) {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = pad(c, widths[i], v.Right[i])
		}
		line(strings.Join(parts, "  "))
	}
	row(v.Head)
	tableWidth := len(widths)*2 - 2
	for _, w := range widths {
		tableWidth += w
	}
	line(strings.Repeat("-", tableWidth))
	for _, r := range v.Rows {
		row(r)
	}
	line("")

	// The sums, amounts aligned on the right.
	lw, aw := 0, 0
	for _, p := range append(v.Sums, v.Total) {
		lw = max(lw, utf8.RuneCountInString(p.Label)+1)
		aw = max(aw, utf8.RuneCountInString(p.Value))
	}
	for _, p := range v.Sums {
		line(pad(p.Label+":", lw, false) + "  " + pad(p.Value, aw, true))
	}
	line(strings.Repeat(" ", lw+2) + strings.Repeat("=", aw))
	line(pad(v.Total.Label+":", lw, false) + "  " + pad(v.Total.Value, aw, true))
	line("")

	if len(v.InterestLines) > 0 {
		line(v.InterestTitle)
		for _, l := range v.InterestLines {
			for i, w := range wrapRunes(l, textWidth-2) {
				if i == 0 {
					line("- " + w)
				} else {
					line("  " + w)
				}
			}
		}
		para(v.DayCount)
		line("")
	}
	if v.NoVAT != "" {
		para(v.NoVAT)
		line("")
	}
	para(v.PayTo)
	pw := 0
	for _, p := range v.Payment {
		pw = max(pw, utf8.RuneCountInString(p.Label)+1)
	}
	for _, p := range v.Payment {
		line("  " + pad(p.Label+":", pw, false) + " " + p.Value)
	}
	if v.ReferenceNote != "" {
		para(v.ReferenceNote)
	}
	line("")
	if v.Questions != "" {
		para(v.Questions)
		line("")
	}
	line(v.Regards)
	line(v.Merchant)
	line("")
	b.WriteString("-- \n") // the signature separator keeps its space
	for _, f := range v.Footer {
		line(f)
	}
	return b.String()
}

// pad pads s with spaces to n characters, on the left when right is true.
func pad(s string, n int, right bool) string {
	k := n - utf8.RuneCountInString(s)
	if k <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", k) + s
	}
	return s + strings.Repeat(" ", k)
}

// wrapRunes breaks s into lines of at most n characters at spaces; a word
// longer than n stands on a line of its own.
func wrapRunes(s string, n int) []string {
	var out []string
	var cur strings.Builder
	curLen := 0
	for _, w := range strings.Fields(s) {
		wl := utf8.RuneCountInString(w)
		if curLen > 0 && curLen+1+wl > n {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(w)
		curLen += wl
	}
	if curLen > 0 || len(out) == 0 {
		out = append(out, cur.String())
	}
	return out
}

// htmlSource is the HTML e-mail body. html/template escapes every value
// for its context, so a debtor's name or an invoice number cannot inject
// markup.
const htmlSource = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.Subject}}</title>
</head>
<body style="font-family: Helvetica, Arial, sans-serif; font-size: 14px; color: #222;">
<p style="color: #666; font-size: 12px;">{{.Merchant}}{{range .MerchantLines}} · {{.}}{{end}}</p>
<h1 style="font-size: 18px;">{{.Title}}</h1>
<table style="font-size: 13px;">
{{- range .Info}}
<tr><td>{{.Label}}:</td><td>{{.Value}}</td></tr>
{{- end}}
</table>
<p>{{.Greeting}}</p>
<p>{{.Intro}}</p>
<table style="border-collapse: collapse; font-size: 13px;">
<thead><tr>
{{- range $i, $h := .Head}}<th style="text-align: {{if index $.Right $i}}right{{else}}left{{end}}; border-bottom: 1px solid #999; padding: 2px 8px;">{{$h}}</th>{{end -}}
</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range $i, $c := .}}<td style="text-align: {{if index $.Right $i}}right{{else}}left{{end}}; padding: 2px 8px;">{{$c}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
<table style="margin-top: 12px; font-size: 13px;">
{{- range .Sums}}
<tr><td>{{.Label}}</td><td style="text-align: right; padding-left: 24px;">{{.Value}}</td></tr>
{{- end}}
<tr><td><strong>{{.Total.Label}}</strong></td><td style="text-align: right; padding-left: 24px; border-top: 1px solid #999;"><strong>{{.Total.Value}}</strong></td></tr>
</table>
{{- if .InterestLines}}
<p><strong>{{.InterestTitle}}</strong></p>
<ul>
{{- range .InterestLines}}
<li>{{.}}</li>
{{- end}}
</ul>
<p>{{.DayCount}}</p>
{{- end}}
{{- if .NoVAT}}
<p>{{.NoVAT}}</p>
{{- end}}
<p>{{.PayTo}}</p>
<table style="font-size: 13px;">
{{- range .Payment}}
<tr><td>{{.Label}}:</td><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .ReferenceNote}}
<p>{{.ReferenceNote}}</p>
{{- end}}
{{- if .Questions}}
<p>{{.Questions}}</p>
{{- end}}
<p>{{.Regards}}<br>{{.Merchant}}</p>
<p style="color: #666; font-size: 11px;">{{range $i, $f := .Footer}}{{if $i}}<br>{{end}}{{$f}}{{end}}</p>
</body>
</html>
`

// htmlTemplate parses htmlSource once.
var htmlTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.New("notice").Parse(htmlSource)
})

// html renders the HTML e-mail body.
func (v *view) html() (string, error) {
	tmpl, err := htmlTemplate()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}
