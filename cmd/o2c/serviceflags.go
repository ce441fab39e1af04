package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
)

// serviceFlags are what every command of one service's group shares
// (`o2c dunning`, `o2c refunds`, `o2c sepa`, `o2c collections`): where the
// service is, the tenant and the output form, table or JSON Lines. The
// group fills in the descriptive fields before bind.
type serviceFlags struct {
	// name is the service as `service` names it in messages; flag and env
	// the address flag and its variable; defaultAddr the address in
	// docker-compose.yml and `o2c demo`; addrHelp the flag's help text.
	name, flag, env, defaultAddr, addrHelp string
	// tenantWhy ends the error for a missing --tenant.
	tenantWhy string

	addr, tenant, output string
}

func (f *serviceFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.addr, f.flag, envOr(f.env, f.defaultAddr), f.addrHelp+" (env "+f.env+")")
	cmd.PersistentFlags().StringVar(&f.tenant, "tenant", "", "tenant id (required)")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "output: table|json (json prints JSON Lines)")
}

func (f *serviceFlags) svc() service { return serviceAt(f.name, f.addr) }

// dial checks the shared flags and connects to the service.
func (f *serviceFlags) dial(cmd *cobra.Command) (*grpc.ClientConn, error) {
	if f.tenant == "" {
		return nil, errors.New("--tenant is required: " + f.tenantWhy)
	}
	if f.output != "table" && f.output != "json" {
		return nil, fmt.Errorf("unknown --output %q (want one of table, json)", f.output)
	}
	return dial(cmd, f.svc())
}
