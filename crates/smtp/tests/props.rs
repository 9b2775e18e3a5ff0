//! The fuzz target's invariants (`prebounce_smtp::exercise`) on random
//! server bytes and on mutated real dialogues, with a fixed seed so a
//! failure replays. The fuzz target (`fuzz/`, `smtp`) searches further.

use prebounce_smtp::exercise::exercise;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn byte(&mut self) -> u8 {
        (self.next() >> 56) as u8
    }
}

/// Replies a real server sends, to splice into the inputs.
const PIECES: &[&str] = &[
    "220 mx.example ESMTP\r\n",
    "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n",
    "250 ok\r\n",
    "220 2.0.0 go ahead\r\n",
    "550 5.1.1 no such user\r\n",
    "550-5.2.1 disabled\r\n550 5.2.1 see https://example\r\n",
    "452 4.2.2 full\r\n",
    "421 4.7.0 closing\r\n",
    "503 5.5.1 bad sequence\r\n",
    "554 5.7.1 blocked\r\n",
    "250-",
    "\r\n",
    "\n",
    "2",
];

#[test]
fn random_server_bytes_never_break_the_invariants() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = (rng.next() % 200) as usize;
        let data: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        exercise(&data);
    }
}

#[test]
fn spliced_real_replies_never_break_the_invariants() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let (mut opened, mut tls, mut answers) = (0, 0, 0);
    for _ in 0..20_000 {
        let mut data = vec![rng.byte()];
        // A dialogue's usual start (sometimes with STARTTLS), then any
        // replies; each piece now and then damaged.
        let mut pieces: Vec<&str> = vec![PIECES[0], PIECES[1]];
        if rng.next() % 2 == 0 {
            pieces.extend([PIECES[3], PIECES[1]]);
        }
        for _ in 0..(rng.next() % 16) {
            pieces.push(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
        }
        for piece in pieces {
            let mut bytes = piece.as_bytes().to_vec();
            if rng.next() % 12 == 0 {
                let i = (rng.next() % bytes.len() as u64) as usize;
                bytes[i] = rng.byte();
            }
            data.extend(bytes);
        }
        let reach = exercise(&data);
        opened += usize::from(reach.opened);
        tls += usize::from(reach.tls);
        answers += reach.answers;
    }
    // The inputs reach the interesting states, not only the banner.
    // (TLS starts only when a chunk ends right after the 220: otherwise
    // the bytes after it are an injection.)
    assert!(
        opened > 2000 && tls > 100 && answers > 2000,
        "opened {opened}, tls {tls}, answers {answers}"
    );
}

#[test]
fn an_endless_reply_and_a_giant_line_end_the_session() {
    let mut data = vec![0u8];
    data.extend("220 mx\r\n".as_bytes());
    data.extend("250-more\r\n".repeat(500).as_bytes());
    exercise(&data);
    let mut data = vec![0xF0u8];
    data.extend(vec![b'2'; 100_000]);
    exercise(&data);
}
