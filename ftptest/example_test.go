package ftptest_test

import (
	"fmt"
	"log"
	"net/textproto"
	"net/url"
	"testing/fstest"

	"github.com/goftplib/ftp/ftptest"
)

func ExampleNewServer() {
	srv, err := ftptest.NewServer(ftptest.Options{
		Files: fstest.MapFS{"hello.txt": {Data: []byte("Hello, FTP!\n")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	u, err := url.Parse(srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("scheme:", u.Scheme)

	// Speak a little FTP on the control connection.
	conn, err := textproto.Dial("tcp", srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	for _, step := range []struct {
		cmd  string
		code int
	}{
		{"", 220}, // greeting
		{"USER " + ftptest.DefaultUser, 331},
		{"PASS " + ftptest.DefaultPassword, 230},
		{"SIZE hello.txt", 213},
		{"QUIT", 221},
	} {
		if step.cmd != "" {
			if err := conn.PrintfLine("%s", step.cmd); err != nil {
				log.Fatal(err)
			}
		}
		code, msg, err := conn.ReadResponse(step.code)
		if err != nil {
			log.Fatal(err)
		}
		if step.code == 213 {
			fmt.Println(code, msg)
		}
	}

	// Files can be inspected directly, too.
	data, err := srv.ReadFile("hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", data)
	// Output:
	// scheme: ftp
	// 213 12
	// Hello, FTP!
}
