package main

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPattern finds the QUARRY_* (and AWS_*) variables a flag's help names.
var envPattern = regexp.MustCompile(`\b(QUARRY_[A-Z_]+|AWS_[A-Z_]+)\b`)

// machineDefaultKey annotates a flag whose default depends on the machine
// (host name, CPUs): the reference shows the annotation instead.
const machineDefaultKey = "quarry/machine-default"

// machineDefault marks flag name of fs as defaulting to what describes.
func machineDefault(fs *pflag.FlagSet, name, describes string) {
	if err := fs.SetAnnotation(name, machineDefaultKey, []string{describes}); err != nil {
		panic(err) // a flag name of ours that does not exist
	}
}

// writeConfigReference writes the configuration reference of every
// runnable command under root: each flag with its type, default and help,
// and the environment variables the help names. docs/configuration.md is
// this output; a test regenerates it and fails when it differs, so the
// document cannot drift from the code.
func writeConfigReference(w io.Writer, root *cobra.Command) error {
	fmt.Fprintf(w, "# Configuration reference\n\n")
	fmt.Fprintf(w, "Generated from the code by `go test ./cmd/quarry -run TestConfigReference -update`;\n")
	fmt.Fprintf(w, "`make test` fails when it is out of date. Every flag can also be given as\n")
	fmt.Fprintf(w, "`--flag=value`; the variables named in a flag's help set its default.\n")
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c.Runnable() {
			cmds = append(cmds, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].CommandPath() < cmds[j].CommandPath() })
	envs := map[string][]string{}
	for _, c := range cmds {
		fmt.Fprintf(w, "\n## `%s`\n\n%s.\n\n", c.CommandPath(), strings.TrimSuffix(c.Short, "."))
		fmt.Fprintf(w, "| flag | type | default | meaning |\n|---|---|---|---|\n")
		var flags []*pflag.Flag
		c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
		sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
		for _, f := range flags {
			if f.Hidden || f.Name == "help" {
				continue
			}
			def := "`" + f.DefValue + "`"
			if f.Value.Type() == "string" {
				def = fmt.Sprintf("`%q`", f.DefValue)
			}
			if d := f.Annotations[machineDefaultKey]; len(d) > 0 {
				def = d[0]
			}
			fmt.Fprintf(w, "| `--%s` | %s | %s | %s |\n", f.Name, f.Value.Type(), def, escapeCell(f.Usage))
			for _, e := range envPattern.FindAllString(f.Usage, -1) {
				envs[e] = appendUnique(envs[e], c.CommandPath()+" --"+f.Name)
			}
		}
	}
	fmt.Fprintf(w, "\n## Environment variables\n\n| variable | sets |\n|---|---|\n")
	names := make([]string, 0, len(envs))
	for n := range envs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "| `%s` | %s |\n", n, "`"+strings.Join(envs[n], "`, `")+"`")
	}
	fmt.Fprintf(w, "\nRead directly, without a flag:\n\n| variable | meaning |\n|---|---|\n")
	for _, v := range [][2]string{
		{"QUARRY_CRM_TOKENS", "the CRM API's bearer tokens themselves, one `token scope[,scope] [name]` per line (`quarry crmapi`, when no --tokens-file)"},
		{"QUARRY_DEV_TOKEN", "the admin token of `quarry dev`'s CRM API (default: a generated one, printed at start)"},
		{"AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD", "defaults of the --s3-* flags of every command with a --store"},
		{"QUARRY_DATASETS", "tests and `make bench`: the folder of the shared datasets (default: ../shared/datasets beside the repository)"},
	} {
		fmt.Fprintf(w, "| `%s` | %s |\n", v[0], v[1])
	}
	return nil
}

func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
