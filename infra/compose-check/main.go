// compose-check loads and validates a Compose file with compose-go, the library behind
// `docker compose config`, so CI machines without a Docker engine or the compose plugin still
// check docker-compose.yml against the Compose specification (schema, interpolation, references).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <docker-compose.yml>")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithOsEnv, cli.WithDotEnv, cli.WithName("check"))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("%d services:", len(project.Services))
	for _, name := range project.ServiceNames() {
		fmt.Printf(" %s", name)
	}
	fmt.Println()
}
