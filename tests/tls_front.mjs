// tls_front.mjs - a TLS front for the tests of the Neo4j client's TLS
// (tests/tls_front.h): it listens on free loopback ports, one per
// certificate given, ends TLS there with that certificate and passes the
// bytes both ways to a plain TCP server on 127.0.0.1 (the scripted fake,
// tests/http_fake.h), which sees and answers the requests as usual.
//
//   node tls_front.mjs --upstream PORT --port-file FILE [--deadline S]
//        CERT.pem KEY.pem [CERT.pem KEY.pem ...]
//
// Once every port listens, FILE gets them in the order given, separated
// by spaces, then a newline (written to FILE.tmp and renamed, so a reader
// never sees half). It exits on SIGTERM (the test stops it by its pid) or
// after --deadline seconds (60), so a test that died leaves nothing.
// Node's standard library only.
import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";

function usage(why) {
	process.stderr.write(`tls_front: ${why}\n`);
	process.exit(2);
}

const args = process.argv.slice(2);
let upstream = 0, portFile = "", deadline = 60;
const pairs = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === "--upstream")
		upstream = Number(args[++i]);
	else if (args[i] === "--port-file")
		portFile = args[++i];
	else if (args[i] === "--deadline")
		deadline = Number(args[++i]);
	else if (i + 1 < args.length)
		pairs.push([args[i], args[++i]]);
	else
		usage(`a certificate without its key: ${args[i]}`);
}
if (!(upstream > 0 && upstream < 65536) || !portFile || pairs.length === 0)
	usage("--upstream PORT --port-file FILE CERT KEY [CERT KEY ...]");

setTimeout(() => process.exit(0), deadline * 1000).unref();
process.on("SIGTERM", () => process.exit(0));

// One connection: TLS in front, TCP to the fake behind. Either side's end
// or error ends both. A failed handshake never reaches the fake.
function pass(client) {
	const back = net.connect(upstream, "127.0.0.1");
	const end = () => {
		client.destroy();
		back.destroy();
	};
	client.on("error", end);
	back.on("error", end);
	client.on("close", end);
	back.on("close", end);
	client.pipe(back);
	back.pipe(client);
}

const ports = new Array(pairs.length).fill(0);
let listening = 0;
pairs.forEach(([cert, key], i) => {
	const srv = tls.createServer({
		cert: fs.readFileSync(cert),
		key: fs.readFileSync(key),
	}, pass);
	// A refused handshake is what some tests want: say it, go on.
	srv.on("tlsClientError", (err) =>
		process.stderr.write(`tls_front ${cert}: ${err.message}\n`));
	srv.listen(0, "127.0.0.1", () => {
		ports[i] = srv.address().port;
		if (++listening < pairs.length)
			return;
		fs.writeFileSync(portFile + ".tmp", ports.join(" ") + "\n");
		fs.renameSync(portFile + ".tmp", portFile);
	});
});
