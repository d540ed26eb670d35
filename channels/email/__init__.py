"""The email channel (Amazon relay messages, Walmart care email, the Shopify store mailbox): IMAP in and SMTP
out (`client`), the MIME parse (`parse`), who really sent it (`auth`), and the mailbox settings (`config`).
Email has no webhook and no platform records, so no `webhook` or `mapping` module."""
