//! What keyhook sends to the outside: the SSRF policy that decides which addresses it may
//! reach ([`network_policy`]), the authorities their certificates may be signed by ([`trust`]), and the signed HTTP request through a client that only reaches
//! them ([`http`]). Used by the sender, by the services that test an endpoint before saving it
//! (add-on installs), and by the domain rules that judge a webhook's URL.

pub mod http;
pub mod mail;
pub mod network_policy;
pub mod trust;
