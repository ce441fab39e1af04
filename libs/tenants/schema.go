package tenants

import (
	_ "embed"
	"slices"
)

//go:embed tenants.schema.json
var schema []byte

// SchemaFile is where the schema is published in the repository.
const SchemaFile = "libs/tenants/tenants.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the tenants file. Every
// file it rejects, Parse rejects too; Parse checks more than a schema can
// express (see the schema's description).
func Schema() []byte { return slices.Clone(schema) }
