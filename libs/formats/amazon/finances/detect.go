package finances

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Detect reports whether head, the first bytes of a file (possibly cut off),
// look like an SP-API Finances page: a JSON object with FinancialEvents,
// FinancialEventGroupList or transactions under payload (or at the top level
// of a page saved without the payload wrapper), or an SP-API error response
// ({"errors":[{"code":…}]}) with no payload; an empty errors array before
// the payload is read past.
func Detect(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := tok.(string)
		switch {
		case strings.EqualFold(k, "FinancialEvents"), strings.EqualFold(k, "FinancialEventGroupList"):
			return true
		case strings.EqualFold(k, "payload"):
			return detectPayload(dec)
		case strings.EqualFold(k, "errors"):
			var errs []struct {
				Code    *string `json:"code"`
				Message *string `json:"message"`
			}
			if err := dec.Decode(&errs); err != nil {
				return false
			}
			if len(errs) > 0 {
				return errs[0].Code != nil && errs[0].Message != nil
			}
			// An empty or null errors array beside the payload, as some
			// clients save a page: read on.
		default:
			if skipValue(dec, "") != nil {
				return false
			}
		}
	}
	return false
}

func detectPayload(dec *json.Decoder) bool {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if k, ok := tok.(string); ok && isResultKey(k) {
			return true
		}
		if skipValue(dec, "") != nil {
			return false
		}
	}
	return false
}
