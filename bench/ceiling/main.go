// Command ceiling is the trivial fiber handler make bench loads beside
// duban serve: the most requests per second this machine gives a fiber
// application, against which /board's figure is read.
package main

import (
	"flag"
	"log"

	"github.com/gofiber/fiber/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	flag.Parse()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	log.Fatal(app.Listen(*addr))
}
