// SPDX-License-Identifier: ISC

// verify.go: checks algaudit's checkpoints, tiles, proofs and
// commitment leaves with Go's own libraries, golang.org/x/mod/sumdb/note
// and golang.org/x/mod/sumdb/tlog (Debian: golang-golang-x-mod-dev), as a
// third-party verifier would. It reads the directory gen_vectors wrote:
//
//   - vkey.txt, checkpoint.txt, checkpoint_old.txt: note.NewVerifier and
//     note.Open must accept the checkpoints;
//   - tampered_*.txt: note.Open must refuse each;
//   - tile/L/N: a tlog.TileReader over them; tlog.TileHashReader checks
//     the tiles against the signed root, and tlog.TreeHash, ProveRecord
//     and ProveTree computed from them must equal our proofs;
//   - vectors.txt: tlog.CheckRecord and tlog.CheckTree on our proofs,
//     tlog.RecordHash of our leaf bytes, and each "disclose" block
//     recomputed from docs/VERIFIABLE.md alone (commitment =
//     SHA-256(0x02 || salt || value), leaf bytes, leaf hash).
//
// It then signs a checkpoint with our signer.key through note.NewSigner
// (go_note.txt) and writes the proofs it computed (go_proofs.txt) for
// gen_vectors to check in turn. Exit status 0 only if everything holds.
//
// With "cli VKEY FILE..." it instead checks what the algaudit command
// printed from a real store (tests/integration/t_verify.sh): *.note is
// a checkpoint from `algaudit checkpoint` (note.Open), *.json a proof
// from `algaudit prove` (tlog.CheckRecord or tlog.CheckTree against the
// signed roots) or a receipt from `algaudit receipt` (its C2SP
// tlog-proof, the leaf recomputed from the disclosed units). Exit 0 only
// if every file verifies, 1 if one does not.
//
// Build (no network, no modules): GO111MODULE=off
// GOPATH=/usr/share/gocode go build -o verify_go verify.go
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	dir    string
	passed int
	failed int
)

func check(ok bool, format string, args ...interface{}) {
	if ok {
		passed++
		return
	}
	failed++
	fmt.Fprintf(os.Stderr, "verify_go: FAIL: "+format+"\n", args...)
}

func read(name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify_go: %v\n", err)
		os.Exit(1)
	}
	return b
}

// checkpoint is a C2SP tlog-checkpoint body, parsed.
type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return checkpoint{}, fmt.Errorf("not a checkpoint")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad size %q", lines[1])
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, err
	}
	return checkpoint{lines[0], tlog.Tree{N: n, Hash: h}}, nil
}

// openCheckpoint verifies a signed checkpoint with note.Open.
func openCheckpoint(v note.Verifier, name string) (checkpoint, error) {
	n, err := note.Open(read(name), note.VerifierList(v))
	if err != nil {
		return checkpoint{}, err
	}
	return parseCheckpoint(n.Text)
}

// tileReader serves our tile files; a partial tile of the store may
// hold more hashes than a smaller tree needs.
type tileReader struct{}

func (tileReader) Height() int { return 8 }

func (tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(dir, "tile",
			strconv.Itoa(t.L), strconv.FormatInt(t.N, 10)))
		if err != nil {
			return nil, err
		}
		if len(b) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %d/%d: %d bytes, need %d",
				t.L, t.N, len(b), t.W*tlog.HashSize)
		}
		out[i] = b[:t.W*tlog.HashSize]
	}
	return out, nil
}

func (tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func parseProof(s string) []tlog.Hash {
	if s == "-" {
		return nil
	}
	var p []tlog.Hash
	for _, x := range strings.Split(s, ",") {
		b, err := hex.DecodeString(x)
		if err != nil || len(b) != tlog.HashSize {
			fmt.Fprintf(os.Stderr, "verify_go: bad hash %q\n", x)
			os.Exit(1)
		}
		var h tlog.Hash
		copy(h[:], b)
		p = append(p, h)
	}
	return p
}

func proofString(p []tlog.Hash) string {
	if len(p) == 0 {
		return "-"
	}
	var s []string
	for _, h := range p {
		s = append(s, hex.EncodeToString(h[:]))
	}
	return strings.Join(s, ",")
}

func equalProofs(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hexHash(s string) tlog.Hash {
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		fmt.Fprintf(os.Stderr, "verify_go: bad hash %q\n", s)
		os.Exit(1)
	}
	copy(h[:], b)
	return h
}

// unit is one disclosure unit as an export gives it.
type unit struct {
	path      string
	disclosed bool
	salt      []byte
	value     []byte
	commit    []byte
}

// leafFromUnits follows docs/VERIFIABLE.md, "Commitment leaf".
func leafFromUnits(index uint64, units []unit) []byte {
	var b bytes.Buffer
	b.WriteString("algaudit/v1/leaf")
	binary.Write(&b, binary.BigEndian, index)
	binary.Write(&b, binary.BigEndian, uint32(len(units)))
	for _, u := range units {
		c := u.commit
		if u.disclosed {
			h := sha256.New()
			h.Write([]byte{0x02})
			h.Write(u.salt)
			h.Write(u.value)
			c = h.Sum(nil)
		}
		b.WriteByte(byte(len(u.path)))
		b.WriteString(u.path)
		b.Write(c)
	}
	return b.Bytes()
}

// cliOpen reads a signed checkpoint note and opens it with v.
func cliOpen(v note.Verifier, msg string) (checkpoint, error) {
	n, err := note.Open([]byte(msg), note.VerifierList(v))
	if err != nil {
		return checkpoint{}, err
	}
	return parseCheckpoint(n.Text)
}

// cliHashes decodes a JSON array of hex hashes.
func cliHashes(x interface{}) ([]tlog.Hash, error) {
	a, ok := x.([]interface{})
	if !ok {
		return nil, fmt.Errorf("proof: not an array")
	}
	var p []tlog.Hash
	for _, e := range a {
		s, _ := e.(string)
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("proof: bad hash %q", s)
		}
		var h tlog.Hash
		copy(h[:], b)
		p = append(p, h)
	}
	return p, nil
}

// cliInt reads a JSON number as int64.
func cliInt(m map[string]interface{}, k string) (int64, error) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s: not a number", k)
	}
	return n.Int64()
}

// cliReceipt checks a receipt: C2SP tlog-proof, units, leaf hash.
func cliReceipt(v note.Verifier, m map[string]interface{}) error {
	tp, _ := m["tlog_proof"].(string)
	lines := strings.SplitAfter(tp, "\n")
	if len(lines) < 3 || lines[0] != "c2sp.org/tlog-proof@v1\n" {
		return fmt.Errorf("tlog_proof: bad header")
	}
	i := 1
	if strings.HasPrefix(lines[i], "extra ") {
		i++
	}
	if !strings.HasPrefix(lines[i], "index ") {
		return fmt.Errorf("tlog_proof: no index line")
	}
	index, err := strconv.ParseInt(strings.TrimSpace(lines[i][6:]), 10, 64)
	if err != nil {
		return err
	}
	var proof []tlog.Hash
	for i++; i < len(lines) && lines[i] != "\n"; i++ {
		h, err := tlog.ParseHash(strings.TrimSpace(lines[i]))
		if err != nil {
			return fmt.Errorf("tlog_proof: %v", err)
		}
		proof = append(proof, h)
	}
	if i >= len(lines) {
		return fmt.Errorf("tlog_proof: no checkpoint")
	}
	cp, err := cliOpen(v, strings.Join(lines[i+1:], ""))
	if err != nil {
		return err
	}
	us, _ := m["units"].([]interface{})
	var units []unit
	for _, x := range us {
		o, _ := x.(map[string]interface{})
		path, _ := o["path"].(string)
		vs, _ := o["value"].(string)
		ss, _ := o["salt"].(string)
		val, err1 := hex.DecodeString(vs)
		salt, err2 := hex.DecodeString(ss)
		if err1 != nil || err2 != nil || len(salt) != 16 {
			return fmt.Errorf("unit %q: bad value or salt", path)
		}
		units = append(units, unit{path: path, disclosed: true,
			salt: salt, value: val})
	}
	lh := tlog.RecordHash(leafFromUnits(uint64(index), units))
	if s, _ := m["leaf_hash"].(string); s != hex.EncodeToString(lh[:]) {
		return fmt.Errorf("units give leaf %x, receipt says %s", lh, s)
	}
	return tlog.CheckRecord(proof, cp.tree.N, cp.tree.Hash, index, lh)
}

// cliFile checks one file of the algaudit command's output.
func cliFile(v note.Verifier, name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if strings.HasSuffix(name, ".note") {
		_, err := cliOpen(v, string(b))
		return err
	}
	var m map[string]interface{}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return err
	}
	if _, ok := m["format"]; ok {
		return cliReceipt(v, m)
	}
	proof, err := cliHashes(m["proof"])
	if err != nil {
		return err
	}
	ck, _ := m["checkpoint"].(string)
	cp, err := cliOpen(v, ck)
	if err != nil {
		return err
	}
	if _, ok := m["old_size"]; ok {
		ock, _ := m["old_checkpoint"].(string)
		ocp, err := cliOpen(v, ock)
		if err != nil {
			return err
		}
		return tlog.CheckTree(proof, cp.tree.N, cp.tree.Hash,
			ocp.tree.N, ocp.tree.Hash)
	}
	index, err := cliInt(m, "index")
	if err != nil {
		return err
	}
	lh, _ := m["leaf_hash"].(string)
	return tlog.CheckRecord(proof, cp.tree.N, cp.tree.Hash, index,
		hexHash(lh))
}

// cliMain: verify_go cli VKEY FILE...
func cliMain(args []string) {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: verify_go cli VKEY FILE...")
		os.Exit(2)
	}
	v, err := note.NewVerifier(strings.TrimSpace(args[0]))
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify_go: verifier key: %v\n", err)
		os.Exit(2)
	}
	bad := 0
	for _, f := range args[1:] {
		if err := cliFile(v, f); err != nil {
			fmt.Fprintf(os.Stderr, "verify_go: %s: FAIL: %v\n", f,
				err)
			bad++
		} else {
			fmt.Printf("verify_go: %s: OK\n", f)
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "cli" {
		cliMain(os.Args[2:])
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: verify_go DIR")
		os.Exit(2)
	}
	dir = os.Args[1]

	// Checkpoints and keys.
	vkey := strings.TrimSpace(string(read("vkey.txt")))
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify_go: verifier key: %v\n", err)
		os.Exit(1)
	}
	cur, err := openCheckpoint(v, "checkpoint.txt")
	check(err == nil, "checkpoint.txt: %v", err)
	old, err := openCheckpoint(v, "checkpoint_old.txt")
	check(err == nil, "checkpoint_old.txt: %v", err)
	for _, t := range []string{"tampered_size.txt", "tampered_root.txt",
		"tampered_otherkey.txt"} {
		_, err := openCheckpoint(v, t)
		check(err != nil, "%s: accepted", t)
	}

	// Tiles: authenticated against the signed roots, then proofs.
	thr := tlog.TileHashReader(cur.tree, tileReader{})
	th, err := tlog.TreeHash(cur.tree.N, thr)
	check(err == nil && th == cur.tree.Hash,
		"TreeHash(%d) from our tiles: %v", cur.tree.N, err)
	othr := tlog.TileHashReader(old.tree, tileReader{})
	th, err = tlog.TreeHash(old.tree.N, othr)
	check(err == nil && th == old.tree.Hash,
		"TreeHash(%d) from our tiles: %v", old.tree.N, err)
	p, err := tlog.ProveTree(cur.tree.N, old.tree.N, thr)
	check(err == nil && tlog.CheckTree(p, cur.tree.N, cur.tree.Hash,
		old.tree.N, old.tree.Hash) == nil,
		"ProveTree/CheckTree between the checkpoints: %v", err)

	roots := map[int64]tlog.Hash{}
	var goProofs strings.Builder
	f, err := os.Open(filepath.Join(dir, "vectors.txt"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify_go: %v\n", err)
		os.Exit(1)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	leaves := map[int64]tlog.Hash{}
	var units []unit
	var discIndex uint64
	discLeft := 0
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		switch w[0] {
		case "origin":
			check(w[1] == cur.origin, "origin %q vs %q", w[1],
				cur.origin)
		case "root":
			n, _ := strconv.ParseInt(w[1], 10, 64)
			roots[n] = hexHash(w[2])
			if n == old.tree.N {
				check(roots[n] == old.tree.Hash,
					"root %d differs from the checkpoint", n)
			}
		case "consistency":
			o, _ := strconv.ParseInt(w[1], 10, 64)
			n, _ := strconv.ParseInt(w[2], 10, 64)
			proof := parseProof(w[3])
			err := tlog.CheckTree(proof, n, cur.tree.Hash, o, roots[o])
			check(n == cur.tree.N && err == nil,
				"CheckTree(%d -> %d): %v", o, n, err)
			gp, err := tlog.ProveTree(n, o, thr)
			check(err == nil && equalProofs(gp, proof),
				"ProveTree(%d -> %d) from our tiles differs", o, n)
			if len(proof) > 0 {
				proof[0][0] ^= 1
				check(tlog.CheckTree(proof, n, cur.tree.Hash, o,
					roots[o]) != nil,
					"CheckTree(%d -> %d) accepted a changed proof",
					o, n)
			}
		case "leaf":
			i, _ := strconv.ParseInt(w[1], 10, 64)
			data, err := hex.DecodeString(w[2])
			check(err == nil, "leaf %d: %v", i, err)
			leaves[i] = tlog.RecordHash(data)
		case "inclusion":
			i, _ := strconv.ParseInt(w[1], 10, 64)
			n, _ := strconv.ParseInt(w[2], 10, 64)
			proof := parseProof(w[3])
			root := cur.tree.Hash
			r := thr
			if n == old.tree.N {
				root = old.tree.Hash
				r = othr
			}
			err := tlog.CheckRecord(proof, n, root, i, leaves[i])
			check(err == nil, "CheckRecord(%d in %d): %v", i, n, err)
			gp, err := tlog.ProveRecord(n, i, r)
			check(err == nil && equalProofs(gp, proof),
				"ProveRecord(%d in %d) from our tiles differs", i, n)
			if n == cur.tree.N {
				lh := leaves[i]
				fmt.Fprintf(&goProofs, "inclusion %d %d %s %s\n",
					i, n, hex.EncodeToString(lh[:]),
					proofString(gp))
			}
			check(tlog.CheckRecord(proof, n, root, i^1,
				leaves[i]) != nil || n == 1,
				"CheckRecord accepted leaf %d at %d", i, i^1)
		case "disclose":
			discIndex, _ = strconv.ParseUint(w[1], 10, 64)
			discLeft, _ = strconv.Atoi(w[2])
			units = nil
		case "unit":
			u := unit{path: w[1], disclosed: w[2] == "d"}
			if u.disclosed {
				u.salt, _ = hex.DecodeString(w[3])
				if len(w) > 4 {
					u.value, _ = hex.DecodeString(w[4])
				}
			} else {
				u.commit, _ = hex.DecodeString(w[3])
			}
			units = append(units, u)
			if discLeft--; discLeft == 0 {
				lh := tlog.RecordHash(leafFromUnits(discIndex,
					units))
				check(lh == leaves[int64(discIndex)],
					"leaf %d recomputed from %d units differs",
					discIndex, len(units))
			}
		}
	}
	check(sc.Err() == nil, "vectors.txt: %v", sc.Err())
	f.Close()

	// Go signs with our key file; gen_vectors checks it.
	skey := strings.TrimSpace(string(read("signer.key")))
	s, err := note.NewSigner(skey)
	check(err == nil, "note.NewSigner(signer.key): %v", err)
	if err == nil {
		text := fmt.Sprintf("%s\n%d\n%s\n", cur.origin, cur.tree.N,
			base64.StdEncoding.EncodeToString(cur.tree.Hash[:]))
		msg, err := note.Sign(&note.Note{Text: text}, s)
		check(err == nil, "note.Sign: %v", err)
		check(bytes.Equal(msg, read("checkpoint.txt")),
			"Go's signature of our checkpoint differs from ours")
		os.WriteFile(filepath.Join(dir, "go_note.txt"), msg, 0644)
	}
	os.WriteFile(filepath.Join(dir, "go_proofs.txt"),
		[]byte(goProofs.String()), 0644)

	fmt.Printf("interop: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
