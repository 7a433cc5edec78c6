// The bench's trivial AgentBay-shaped server, run in a child process so that its
// CPU does not compete with the client's event loop. Answers every request with
// a GetSession envelope (the one given as the first argument, else a fixed one);
// prints its port on stdout and exits when stdin closes.
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

const reply = Buffer.from(
  process.argv[2] ?? JSON.stringify({
    RequestId: "r-1",
    Success: true,
    Code: "ok",
    HttpStatusCode: 200,
    Data: { SessionId: "s-1", Status: "RUNNING", ResourceUrl: "http://h/r", Token: "t", VpcResource: false }
  })
)

const server = Http.createServer((req, res) => {
  req.resume()
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": reply.length })
    res.end(reply)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
// The parent closes our stdin when it is done (or dies): stop then.
process.stdin.on("end", () => server.close(() => process.exit(0)))
process.stdin.on("close", () => process.exit(0))
process.stdin.resume()
