// Command accord keeps a merchant's sales channels in accord with a
// declarative spec kept in git. See the README for the tour.
package main

import (
	"os"
	_ "time/tzdata" // promotion time zones must resolve on machines without a zoneinfo database

	"github.com/accordhq/accord/cmd/accord/cli"
)

func main() { os.Exit(cli.Main()) }
