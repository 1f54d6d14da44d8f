import '../shared/base.css';
import { connect } from '../shared/connection.js';

const status = document.getElementById('connection');
if (status) connect(status);
