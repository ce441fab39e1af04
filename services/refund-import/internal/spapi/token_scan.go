package spapi

import (
	"encoding/json"
	"errors"
	"strings"
)

// errScan is a body the quick scan cannot follow; nextToken then asks
// encoding/json, which says what is wrong.
var errScan = errors.New("unexpected JSON")

// scanNextToken finds the next page token without decoding the page: it
// walks the top-level object and the payload object key by key, skipping
// every other value by its brackets and strings. A page of a hundred events
// is read several times faster than by encoding/json, which matters when a
// million events are paged; the page itself is parsed by the caller.
func scanNextToken(b []byte) (string, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", errScan
	}
	var top, inPayload string
	end, err := scanObject(b, i, func(key string, v int) (int, error) {
		switch {
		case strings.EqualFold(key, "nextToken"):
			return readString(b, v, &top)
		case strings.EqualFold(key, "payload") && v < len(b) && b[v] == '{':
			return scanObject(b, v, func(key string, v int) (int, error) {
				if strings.EqualFold(key, "nextToken") {
					return readString(b, v, &inPayload)
				}
				return skipValue(b, v)
			})
		}
		return skipValue(b, v)
	})
	if err != nil || skipSpace(b, end) != len(b) {
		return "", errScan
	}
	if inPayload != "" {
		return inPayload, nil
	}
	return top, nil
}

// scanObject calls member with each key of the object at b[i] and the
// index of its value; member returns the index after the value. It returns
// the index after the object.
func scanObject(b []byte, i int, member func(key string, v int) (int, error)) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		var key string
		j, err := readString(b, i, &key)
		if err != nil {
			return 0, err
		}
		j = skipSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			return 0, errScan
		}
		if j, err = member(key, skipSpace(b, j+1)); err != nil {
			return 0, err
		}
		j = skipSpace(b, j)
		if j >= len(b) {
			return 0, errScan
		}
		switch b[j] {
		case ',':
			i = skipSpace(b, j+1)
		case '}':
			return j + 1, nil
		default:
			return 0, errScan
		}
	}
}

// readString reads the JSON string at b[i] into out and returns the index
// after it; a string without escapes is taken as it is.
func readString(b []byte, i int, out *string) (int, error) {
	end, escaped, err := stringEnd(b, i)
	if err != nil {
		return 0, err
	}
	if !escaped {
		*out = string(b[i+1 : end-1])
		return end, nil
	}
	if err := json.Unmarshal(b[i:end], out); err != nil {
		return 0, errScan
	}
	return end, nil
}

// stringEnd returns the index after the string that starts at b[i].
func stringEnd(b []byte, i int) (end int, escaped bool, err error) {
	if i >= len(b) || b[i] != '"' {
		return 0, false, errScan
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, errScan
}

// skipValue returns the index after the value at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errScan
	}
	switch b[i] {
	case '"':
		end, _, err := stringEnd(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errScan
	}
	for j := i; j < len(b); j++ { // a number, true, false or null
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, nil
		}
	}
	return len(b), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
