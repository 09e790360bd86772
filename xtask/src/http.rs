//! A small HTTP/1.1 client over one loopback keep-alive connection: enough for the
//! tools' requests, and in control of every byte sent. The profiler's requests are
//! the bytes Python's `http.client` sent before these tools were in Rust (Host,
//! Accept-Encoding, then Content-Length and Content-Type for a body), so that the
//! instruction counts stay comparable.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// An answer: status, headers in the order received, body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A request: method, path, extra headers and an optional body (sent with its length).
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a str) -> Request<'a> {
        Request {
            method: "GET",
            path,
            ..Request::default()
        }
    }

    /// A POST of `body` with that content type.
    pub fn post(path: &'a str, content_type: &'a str, body: &'a [u8]) -> Request<'a> {
        Request {
            method: "POST",
            path,
            headers: vec![("Content-Type", content_type)],
            body: Some(body),
        }
    }

    pub fn header(mut self, name: &'a str, value: &'a str) -> Request<'a> {
        self.headers.push((name, value));
        self
    }
}

/// One keep-alive connection to `127.0.0.1:port`.
pub struct Connection {
    port: u16,
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(port: u16) -> Result<Connection> {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            port,
            reader: BufReader::new(stream),
        })
    }

    /// Sends the request and reads the whole answer.
    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let mut bytes = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept-Encoding: identity\r\n",
            request.method, request.path, self.port
        )
        .into_bytes();
        if let Some(body) = request.body {
            bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        for (name, value) in &request.headers {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        // The head, then the body: two writes, as http.client makes them.
        self.reader.get_mut().write_all(&bytes)?;
        if let Some(body) = request.body {
            self.reader.get_mut().write_all(body)?;
        }
        self.read_response()
            .with_context(|| format!("{} {} on port {}", request.method, request.path, self.port))
    }

    fn read_response(&mut self) -> Result<Response> {
        let status_line = self.line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("not an HTTP status line: {status_line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').context("a header line without a colon")?;
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if response
            .header("transfer-encoding")
            .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let size = self.line()?;
                let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                    .with_context(|| format!("a bad chunk size {size:?}"))?;
                if size == 0 {
                    while !self.line()?.is_empty() {}
                    break;
                }
                let start = response.body.len();
                response.body.resize(start + size, 0);
                self.reader.read_exact(&mut response.body[start..])?;
                self.line()?;
            }
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length.parse().context("a bad Content-Length")?;
            response.body.resize(length, 0);
            self.reader.read_exact(&mut response.body)?;
        } else if status != 204 && status != 304 {
            self.reader.read_to_end(&mut response.body)?;
        }
        Ok(response)
    }

    fn line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("the connection closed before the answer was complete");
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// One request on a fresh connection.
pub fn send(port: u16, request: &Request) -> Result<Response> {
    Connection::open(port)?.send(request)
}
