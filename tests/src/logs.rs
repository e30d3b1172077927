//! Captures every log event of the test process, at trace level and for every crate
//! (the `log` crate's records included), so that tests can search it for tokens.

use std::io::Write;
use std::sync::{Mutex, Once, OnceLock};

use tracing_subscriber::fmt::MakeWriter;

static BUFFER: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
static INSTALL: Once = Once::new();

fn buffer() -> &'static Mutex<Vec<u8>> {
    BUFFER.get_or_init(|| Mutex::new(Vec::new()))
}

struct BufferWriter;

impl Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        buffer()
            .lock()
            .expect("log buffer")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct MakeBufferWriter;

impl<'a> MakeWriter<'a> for MakeBufferWriter {
    type Writer = BufferWriter;

    fn make_writer(&'a self) -> Self::Writer {
        BufferWriter
    }
}

/// Installs the capturing subscriber once per test process.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        // `try_init` also forwards records of the `log` crate, which reqwest uses.
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(MakeBufferWriter)
            .with_ansi(false)
            .try_init()
            .expect("no other log subscriber is installed in the test process");
    });
}

/// Returns everything logged so far in this process.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&buffer().lock().expect("log buffer")).into_owned()
}
