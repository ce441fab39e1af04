package datev

import "strings"

// splitFields splits one line (without its line end) into fields by the
// DATEV CSV rules: fields are separated by ';', a field that starts with a
// double quote is quoted text in which a doubled quote stands for one quote.
//
// The reader is tolerant where DATEV's own sample is not strict: inside
// quoted text, a quote that is neither doubled nor followed by ';' or the
// end of the line is taken as a literal quote (the DATEV sample writes
// `" "Normalabschr. immater. VermG" "`), and a quote inside an unquoted
// field is kept as written. Each such field is reported in repaired (by
// 0-based field index). A quoted field that is still open at the end of the
// line is an error: DATEV forbids line breaks in text, so a record never
// spans lines. The error result is the 0-based index of that field, or -1.
func splitFields(line string, fields []string, repaired []int) ([]string, []int, int) {
	fields = fields[:0]
	repaired = repaired[:0]
	var sb strings.Builder
	i := 0
	for {
		idx := len(fields)
		if i < len(line) && line[i] == '"' {
			// Quoted field.
			i++
			sb.Reset()
			closed, repair := false, false
			for i < len(line) {
				c := line[i]
				if c != '"' {
					j := strings.IndexByte(line[i:], '"')
					if j < 0 {
						sb.WriteString(line[i:])
						i = len(line)
						break
					}
					sb.WriteString(line[i : i+j])
					i += j
					continue
				}
				// c == '"'
				if i+1 < len(line) && line[i+1] == '"' {
					sb.WriteByte('"')
					i += 2
					continue
				}
				if i+1 == len(line) || line[i+1] == ';' {
					i++
					closed = true
					break
				}
				sb.WriteByte('"')
				repair = true
				i++
			}
			if !closed {
				return fields, repaired, idx
			}
			fields = append(fields, sb.String())
			if repair {
				repaired = append(repaired, idx)
			}
		} else {
			j := strings.IndexByte(line[i:], ';')
			var f string
			if j < 0 {
				f = line[i:]
			} else {
				f = line[i : i+j]
			}
			if strings.IndexByte(f, '"') >= 0 {
				repaired = append(repaired, idx)
			}
			fields = append(fields, f)
			i += len(f)
		}
		// Here i is at ';' or at the end of the line.
		if i >= len(line) {
			return fields, repaired, -1
		}
		i++ // skip ';'
	}
}
