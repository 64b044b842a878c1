"""Messages to reporters: e-mail, SMS and WhatsApp behind one `send`, delivered from the worker."""
