// Package tenantstest helps tests with tenants files: it writes and parses
// them and checks a file against the published JSON Schema with an
// independent validator (github.com/santhosh-tekuri/jsonschema), so that
// every tenants file a test or the demo uses is one the schema accepts.
package tenantstest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/o2c-platform/o2c/libs/tenants"
)

// JSON returns a tenants file listing ids, each with an empty ledger
// section (SKR03, no banks).
func JSON(ids ...string) []byte {
	ts := map[string]any{}
	for _, id := range ids {
		ts[id] = map[string]any{"name": "Test tenant " + id}
	}
	b, _ := json.Marshal(map[string]any{"tenants": ts}) // maps of strings always marshal
	return b
}

// Write writes data into a file of a temporary directory the test removes
// and returns its path, for O2C_TENANTS.
func Write(tb testing.TB, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "tenants.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Parse parses data as a tenants file and fails the test when it is not
// valid.
func Parse(tb testing.TB, data []byte) *tenants.File {
	tb.Helper()
	f, err := tenants.Parse("test-tenants.json", data)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// File returns a parsed tenants file listing ids (see JSON).
func File(tb testing.TB, ids ...string) *tenants.File {
	tb.Helper()
	return Parse(tb, JSON(ids...))
}

// Schema returns the published schema compiled by the independent
// validator.
func Schema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(tenants.Schema()))
	if err != nil {
		tb.Fatalf("%s is not JSON: %v", tenants.SchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	const url = "tenants.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		tb.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		tb.Fatalf("%s does not compile: %v", tenants.SchemaFile, err)
	}
	return s
}

// ValidateSchema returns the schema's verdict on data: nil when it
// conforms, else the validator's error (JSON that does not parse included).
func ValidateSchema(s *jsonschema.Schema, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

// CheckBoth fails the test unless both the schema and tenants.Parse accept
// data (named name in messages).
func CheckBoth(tb testing.TB, name string, data []byte) *tenants.File {
	tb.Helper()
	if err := ValidateSchema(Schema(tb), data); err != nil {
		tb.Errorf("%s: the schema rejects it: %v", name, err)
	}
	f, err := tenants.Parse(name, data)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return f
}
