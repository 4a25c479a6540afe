"""上线通告, sent: `gate notify` publishes a release's launch notice by email and to chat
group robots once the release's gates pass, and records that it did (`notice-sent`).

    config.py     who and where: the policy's [notify] table, the environment, options
    message.py    the notice itself: which record, its subject, Markdown and HTML
    mail.py       the MIME message and SMTP (STARTTLS when offered)
    delivery.py   one channel: its dry-run preview, its send, what sending did
    payloads.py   each vendor's documented JSON and signature
    webhooks.py   POSTing it, and reading each vendor's answer
    sending.py    the whole command: check, plan, send, record
"""
