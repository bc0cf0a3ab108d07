//! The sync messages as the wire carries them: through libp2p's CBOR codec with the node's size limits, so a
//! simulated peer receives exactly what a real one would decode, and a message above its limit is caught.

use futures::io::Cursor;
use libp2p::StreamProtocol;
use libp2p::request_response::Codec as _;
use libp2p::request_response::cbor::codec::Codec;
use samenloop_protocol::cases::sync::{MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, SyncRequest, SyncResponse};

const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/samenloop/sync/1");

fn codec() -> Codec<SyncRequest, SyncResponse> {
    Codec::default().set_request_size_maximum(MAX_SYNC_REQUEST_BYTES).set_response_size_maximum(MAX_SYNC_RESPONSE_BYTES)
}

/// A request's bytes on the wire, or why it cannot be sent (over its size limit).
pub fn encode_request(request: SyncRequest) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    futures::executor::block_on(codec().write_request(&SYNC_PROTOCOL, &mut Cursor::new(&mut bytes), request))
        .map_err(|e| format!("request does not encode: {e}"))?;
    if bytes.len() as u64 > MAX_SYNC_REQUEST_BYTES {
        return Err(format!("a request of {} bytes, over the limit of {MAX_SYNC_REQUEST_BYTES}", bytes.len()));
    }
    Ok(bytes)
}

/// A response's bytes on the wire, or why it cannot be sent (over its size limit).
pub fn encode_response(response: SyncResponse) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    futures::executor::block_on(codec().write_response(&SYNC_PROTOCOL, &mut Cursor::new(&mut bytes), response))
        .map_err(|e| format!("response does not encode: {e}"))?;
    if bytes.len() as u64 > MAX_SYNC_RESPONSE_BYTES {
        return Err(format!("a response of {} bytes, over the limit of {MAX_SYNC_RESPONSE_BYTES}", bytes.len()));
    }
    Ok(bytes)
}

/// A request as the receiving node's codec reads it.
pub fn decode_request(bytes: &[u8]) -> Result<SyncRequest, String> {
    futures::executor::block_on(codec().read_request(&SYNC_PROTOCOL, &mut Cursor::new(bytes)))
        .map_err(|e| format!("request does not decode: {e}"))
}

/// A response as the requesting node's codec reads it.
pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, String> {
    futures::executor::block_on(codec().read_response(&SYNC_PROTOCOL, &mut Cursor::new(bytes)))
        .map_err(|e| format!("response does not decode: {e}"))
}
